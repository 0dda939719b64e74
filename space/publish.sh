#!/usr/bin/env bash
# make space REMOTE=<git url>: publish the current tree (every tracked file as it is in the working tree) to a
# Hugging Face Space repository, its binary files as git-lfs pointers (space/.gitattributes at the tree's root),
# the README with its front matter and the Dockerfile that the Space builds. A new commit on top of what the
# Space has, so nothing is force-pushed. Needs git-lfs (Debian: apt-get install git-lfs).
set -euo pipefail
remote=${1:-}
if [ -z "$remote" ]; then
    echo "error: say where to publish: make space REMOTE=<git url of the Space repository>" >&2
    exit 2
fi
if ! git lfs version >/dev/null 2>&1; then
    echo "error: git-lfs is not installed, and the Hub refuses binary files without it: apt-get install git-lfs" >&2
    exit 2
fi
top=$(git rev-parse --show-toplevel)
version=$(git -C "$top" describe --always --dirty)
tree=$(mktemp -d)
trap 'rm -rf "$tree"' EXIT
(cd "$top" && git ls-files -z | while IFS= read -r -d '' file; do
    [ -e "$file" ] && cp --parents -- "$file" "$tree/"  # a deleted file is not part of the tree
done)
cp "$top/space/.gitattributes" "$tree/.gitattributes"
cd "$tree"
git init -q -b main
git lfs install --local >/dev/null
if git fetch -q "$remote" main 2>/dev/null; then
    git reset -q --soft FETCH_HEAD  # the commit goes on top of the Space's history
fi
git add -A
if git rev-parse -q --verify HEAD >/dev/null && git diff --cached --quiet; then
    echo "$remote already has this tree (vaedemo $version): nothing to publish"
    exit 0
fi
name=$(git -C "$top" config user.name || echo "vaedemo")
email=$(git -C "$top" config user.email || echo "vaedemo@localhost")
git -c user.name="$name" -c user.email="$email" commit -q -m "vaedemo $version"
git push -q "$remote" HEAD:main
pointers=$(git lfs ls-files | wc -l)
echo "published vaedemo $version to $remote: $(git ls-files | wc -l) files, $pointers of them through git-lfs"
