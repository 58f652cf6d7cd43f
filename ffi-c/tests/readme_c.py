#!/usr/bin/env python3
"""Writes the C quick start of README.md (the first ```c block of its "## C" section) to a file,
so that `make test-c` compiles and runs it exactly as shown.

Usage: readme_c.py README.md OUT.c
"""

import sys


def main():
    readme, out = sys.argv[1], sys.argv[2]
    text = open(readme, encoding="utf-8").read()
    section = text[text.index("\n## C\n"):]
    start = section.index("```c\n") + len("```c\n")
    block = section[start:section.index("\n```\n", start) + 1]
    with open(out, "w", encoding="utf-8") as f:
        f.write(block)
    print(f"readme_c.py: {out} ({len(block.splitlines())} lines from {readme})")


if __name__ == "__main__":
    main()
