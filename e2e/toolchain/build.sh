#!/usr/bin/env bash
# Builds the end-to-end toolchain from Go modules into a cache keyed by the pins, then links it into .e2e/bin/.
# A warm run only hashes a few files and relinks.
set -euo pipefail

toolchain_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_root=$(cd "$toolchain_dir/../.." && pwd)
# shellcheck source=e2e/toolchain/versions.env
source "$toolchain_dir/versions.env"

# Every file of the cache's bin/; pulumi-language-python-exec comes with pulumi-language-python.
outputs=(pulumi pulumi-language-python-exec pulumi-language-python pulumi-resource-kubernetes etcd kube-apiserver
    kube-controller-manager)

command -v go >/dev/null || { echo "build.sh: go is not on PATH" >&2; exit 1; }

# The flags below shape the binaries, so build.sh is part of the key as well.
cache_key() {
    (
        cd "$toolchain_dir"
        go env GOVERSION
        sha256sum build.sh versions.env ./*/go.mod ./*/go.sum ./*/main.go
    ) | sha256sum | cut -c1-16
}

cache_dir="${SPINNAKER_ECR_E2E_CACHE:-$HOME/.cache/spinnaker-ecr/e2e}/$(cache_key)"
bin_dir="$cache_dir/bin"

# Static binaries as upstream releases them; the committed go.sum files are the only source of checksums.
export CGO_ENABLED=0 GOFLAGS="-mod=readonly -buildvcs=false" GOTOOLCHAIN=local
go_build=(go build -p 2 -trimpath)

module_dir() { # wrapper module -> directory of that module in the module cache
    (cd "$toolchain_dir/$1" && go list -m -f '{{.Dir}}' "$2")
}

build_pulumi() {
    (cd "$toolchain_dir/pulumi" && "${go_build[@]}" -o "$1/pulumi" \
        -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$PULUMI_VERSION" \
        github.com/pulumi/pulumi/pkg/v3/cmd/pulumi)
}

# The host runs the -exec shim found beside its own (resolved) executable; the shim is the pinned CLI's.
build_pulumi_language_python() {
    (cd "$toolchain_dir/pulumi-language-python" && "${go_build[@]}" -o "$1/pulumi-language-python" \
        -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$PULUMI_LANGUAGE_PYTHON_SDK_VERSION" \
        github.com/pulumi/pulumi/sdk/v3/python/cmd/pulumi-language-python)
    install -m 0755 "$(module_dir pulumi github.com/pulumi/pulumi/sdk/v3)/python/cmd/pulumi-language-python-exec" \
        "$1/pulumi-language-python-exec"
}

# main.go embeds the provider module's committed schema.json, copied into a build directory outside the repository.
build_pulumi_resource_kubernetes() {
    local src="$1/src-kubernetes" upstream
    upstream="$(module_dir pulumi-resource-kubernetes github.com/pulumi/pulumi-kubernetes/provider/v4)/cmd/pulumi-resource-kubernetes"
    mkdir "$src"
    cp "$toolchain_dir"/pulumi-resource-kubernetes/{go.mod,go.sum,main.go} "$src/"
    install -m 0644 "$upstream/schema.json" "$upstream/terraform-mapping.json" "$src/"
    (cd "$src" && "${go_build[@]}" -o "$1/pulumi-resource-kubernetes" \
        -ldflags "-s -w -X github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version.Version=$PULUMI_KUBERNETES_VERSION" .)
    rm -rf "$src"
}

build_etcd() {
    (cd "$toolchain_dir/etcd" && "${go_build[@]}" -o "$1/etcd" -ldflags "-s -w" .)
}

# The version kubectl and the provider see, set as hack/lib/version.sh does for a release build. The controller
# manager comes from the same module graph: its garbage collector finishes the provider's foreground deletions.
build_kube_apiserver() {
    local minor="${KUBERNETES_VERSION#v1.}" ldflags="-s -w" pkg binary
    minor="${minor%%.*}"
    for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
        ldflags+=" -X $pkg.gitVersion=$KUBERNETES_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
        ldflags+=" -X $pkg.gitTreeState=clean"
    done
    for binary in kube-apiserver kube-controller-manager; do
        (cd "$toolchain_dir/kube-apiserver" && "${go_build[@]}" -o "$1/$binary" -ldflags "$ldflags" \
            "k8s.io/kubernetes/cmd/$binary")
    done
}

download_modules() {
    (cd "$toolchain_dir/$1" && go mod download)
}

timed() { # label command... : runs the command and prints how long it took
    local label="$1" start=$SECONDS
    shift
    echo "e2e-tools: $label ..."
    "$@"
    echo "e2e-tools: $label took $((SECONDS - start))s"
}

# output name -> (wrapper module, build function); the exec shim is built with its host.
declare -A wrapper_of=(
    [pulumi]=pulumi
    [pulumi-language-python-exec]=pulumi-language-python
    [pulumi-language-python]=pulumi-language-python
    [pulumi-resource-kubernetes]=pulumi-resource-kubernetes
    [etcd]=etcd
    [kube-apiserver]=kube-apiserver
    [kube-controller-manager]=kube-apiserver
)

build_missing() {
    local name wrapper staging total_start=$SECONDS
    local -A built=()
    mkdir -p "$bin_dir"
    staging=$(mktemp -d "$cache_dir/.staging.XXXXXX")
    trap 'rm -rf "$staging"' EXIT
    for name in "${outputs[@]}"; do
        wrapper="${wrapper_of[$name]}"
        [[ -e "$bin_dir/$name" || -n "${built[$wrapper]:-}" ]] && continue
        timed "downloading the modules of $wrapper" download_modules "$wrapper"
        timed "building $wrapper" "build_${wrapper//-/_}" "$staging"
        # A rename per file: an interrupted build leaves only whole files in bin/, and a re-run builds the rest.
        for out in "$staging"/*; do
            if [[ -f "$out" ]]; then mv -f "$out" "$bin_dir/"; fi
        done
        built[$wrapper]=1
    done
    rm -rf "$staging"
    trap - EXIT
    echo "e2e-tools: built into $bin_dir in $((SECONDS - total_start))s"
}

missing=0
for name in "${outputs[@]}"; do
    [[ -e "$bin_dir/$name" ]] || missing=1
done
if ((missing)); then
    build_missing
fi

mkdir -p "$repo_root/.e2e/bin"
for name in "${outputs[@]}"; do
    ln -sfn "$bin_dir/$name" "$repo_root/.e2e/bin/$name"
done
echo "e2e-tools: .e2e/bin -> $bin_dir"
