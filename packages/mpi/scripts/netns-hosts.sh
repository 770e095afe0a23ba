#!/bin/sh
# Two "hosts" on one machine for MPI tests and benches: network namespaces sg-h1 and sg-h2 joined
# by a veth pair on a private /24, loopback up in each. Needs root (or CAP_NET_ADMIN) and `ip netns`.
#
#   netns-hosts.sh up      create them (replacing leftovers of an earlier run)
#   netns-hosts.sh down    remove them (no error when they are not there)
#   netns-hosts.sh check   exit 0 when they are up
#
# Environment: SG_NETNS_PREFIX (default sg), SG_NETNS_SUBNET (default 10.213.7; the hosts are .1
# and .2 of it, /24). With them up, run MPI like this (mpirun itself inside the first host, so that
# its daemons can reach it over the subnet; the agent script runs each daemon in its namespace):
#
#   ip netns exec sg-h1 mpirun --allow-run-as-root -np 2 --host sg-h1,sg-h2 \
#     --mca rtc ^hwloc --mca plm_rsh_agent packages/mpi/scripts/netns-agent.sh \
#     --mca btl tcp,self --mca btl_tcp_if_include 10.213.7.0/24 --mca oob_tcp_if_include 10.213.7.0/24 \
#     node program.mjs
set -eu
P=${SG_NETNS_PREFIX:-sg}
NET=${SG_NETNS_SUBNET:-10.213.7}
H1=$P-h1
H2=$P-h2

down() {
  # deleting a namespace deletes its end of the veth pair, and with it the other end
  ip netns del "$H1" 2>/dev/null || true
  ip netns del "$H2" 2>/dev/null || true
  ip link del "$P-v1" 2>/dev/null || true
}

case "${1:-}" in
  up)
    down
    ip netns add "$H1"
    ip netns add "$H2"
    ip link add "$P-v1" type veth peer name "$P-v2"
    ip link set "$P-v1" netns "$H1"
    ip link set "$P-v2" netns "$H2"
    ip -n "$H1" addr add "$NET.1/24" dev "$P-v1"
    ip -n "$H2" addr add "$NET.2/24" dev "$P-v2"
    for h in "$H1" "$H2"; do
      ip -n "$h" link set lo up
    done
    ip -n "$H1" link set "$P-v1" up
    ip -n "$H2" link set "$P-v2" up
    echo "netns hosts up: $H1=$NET.1 $H2=$NET.2 (subnet $NET.0/24)"
    ;;
  down)
    down
    ;;
  check)
    ip netns list | grep -q "^$H1\b" && ip netns list | grep -q "^$H2\b"
    ;;
  *)
    echo "usage: $0 up|down|check" >&2
    exit 2
    ;;
esac
