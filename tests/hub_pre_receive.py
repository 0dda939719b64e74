#!/usr/bin/env python3
"""A pre-receive hook that refuses binary files the way the Hugging Face Hub does: any new blob that looks
binary (a NUL byte in its first 8,000 bytes, git's own test) and is not a git-lfs pointer rejects the push,
whatever its size. tests/test_space.py installs it in a bare repository standing in for a Space."""
import subprocess
import sys

LFS_POINTER = b"version https://git-lfs.github.com/spec/v1"


def new_blobs(new: str) -> list[tuple[str, str]]:
    """(id, path) of the blobs that the pushed commit brings and the repository does not have yet."""
    listing = subprocess.run(["git", "rev-list", "--objects", new, "--not", "--all"], capture_output=True, text=True,
                             check=True).stdout.splitlines()
    objects = [line.split(" ", 1) for line in listing if " " in line]
    kinds = subprocess.run(["git", "cat-file", "--batch-check=%(objecttype)"], input="\n".join(o for o, _ in objects),
                           capture_output=True, text=True, check=True).stdout.split()
    return [(o, path) for (o, path), kind in zip(objects, kinds) if kind == "blob"]


def main():
    binaries = []
    for line in sys.stdin:
        old, new, ref = line.split()
        if set(new) == {"0"}:
            continue  # a deleted ref
        for blob, path in new_blobs(new):
            head = subprocess.run(["git", "cat-file", "blob", blob], capture_output=True, check=True).stdout[:8000]
            if b"\0" in head and not head.startswith(LFS_POINTER):
                binaries.append(path)
    if binaries:
        print("Your push was rejected because it contains binary files. Please use git-lfs to store them: "
              + ", ".join(sorted(binaries)[:5]) + (", ..." if len(binaries) > 5 else ""), file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
