#!/bin/sh
# The shell side of the pcf-edge recipes' Lifecycle (ADR 0201), shipped in every zip and run as
# `sh "$PCF_EDGE_ARTIFACT/lifecycle.sh" <step>`. The recipes never put a value they interpolate (configuration or
# Greengrass paths) into a command line: their Setenv hands each one to this script as an environment variable, and
# every expansion below is double-quoted. Nothing here evaluates a value.
#
#   check-node     NodeRuntime Install (component user): the node the components will use runs and is new enough.
#   install-store  component Install (root): creates <Greengrass root>/work/pcf-edge for the gateway store, only if
#                  it does not exist, and gives it to the owner of the component's work folder. An existing folder
#                  keeps its owner and mode. Refuses any storePath that is not a file directly in that folder.
#   run            component Run (component user): exec node main.js in the work folder.
#
# Environment: PCF_EDGE_NODE (NodeRuntime nodePath; empty = the shipped node), PCF_EDGE_RUNTIME_NODE (the shipped
# node), PCF_EDGE_GREENGRASS_ROOT, PCF_EDGE_WORK, PCF_EDGE_STORE (storePath), PCF_EDGE_ARTIFACT (unarchived zip).
set -eu

MIN_NODE_MAJOR=22
step=${1:-}

fail() {
  printf 'pcf-edge lifecycle %s: %s\n' "$step" "$1" >&2
  exit 1
}

# Sets $node: the configured nodePath when there is one, else the node of com.pcfedge.NodeRuntime.
choose_node() {
  node=${PCF_EDGE_NODE:-}
  if [ -z "$node" ]; then
    node=${PCF_EDGE_RUNTIME_NODE:-}
    [ -n "$node" ] || fail 'PCF_EDGE_RUNTIME_NODE is not set'
    return 0
  fi
  case "$node" in
    /*) ;;
    *) fail "nodePath must be an absolute path to a node binary, got '$node'" ;;
  esac
}

check_node() {
  choose_node
  [ -f "$node" ] && [ -x "$node" ] || fail "$node is not an executable file"
  major=$("$node" -p 'process.versions.node.split(".")[0]') || fail "$node does not run"
  case "$major" in
    '' | *[!0-9]*) fail "$node did not print a Node.js version" ;;
  esac
  [ "$major" -ge "$MIN_NODE_MAJOR" ] || fail "$node is Node.js $major; pcf-edge needs Node.js $MIN_NODE_MAJOR or later"
  printf 'pcf-edge: components run with %s (Node.js %s)\n' "$node" "$("$node" -v)"
}

install_store() {
  root=${PCF_EDGE_GREENGRASS_ROOT:-}
  work=${PCF_EDGE_WORK:-}
  store=${PCF_EDGE_STORE:-}
  [ -n "$root" ] && [ -d "$work" ] || fail 'PCF_EDGE_GREENGRASS_ROOT and PCF_EDGE_WORK must be set'
  dir=$root/work/pcf-edge
  rule="storePath must be $dir/<name>.sqlite, <name> of letters, digits, '.', '_' and '-' not starting with '.' or '-'"
  case "$store" in
    "$dir"/*) name=${store#"$dir"/} ;;
    *) fail "$rule; got '$store'" ;;
  esac
  case "$name" in
    [!A-Za-z0-9_]* | *[!A-Za-z0-9._-]*) fail "$rule; got '$store'" ;;
    ?*.sqlite) ;;
    *) fail "$rule; got '$store'" ;;
  esac
  if mkdir -m 0770 -- "$dir" 2>/dev/null; then
    if ! chown --reference="$work" -- "$dir"; then
      rmdir -- "$dir"
      fail "could not give $dir to the owner of $work"
    fi
    printf 'pcf-edge: created %s for the gateway store\n' "$dir"
  elif [ -d "$dir" ] && [ ! -L "$dir" ]; then
    printf 'pcf-edge: %s exists; its owner and mode are left as they are\n' "$dir"
  else
    fail "cannot create $dir: something else of that name exists, or $root/work does not"
  fi
}

case "$step" in
  check-node) check_node ;;
  install-store) install_store ;;
  run)
    choose_node
    cd "${PCF_EDGE_WORK:?}"
    exec "$node" "${PCF_EDGE_ARTIFACT:?}/main.js"
    ;;
  *) fail 'usage: lifecycle.sh check-node | install-store | run' ;;
esac
