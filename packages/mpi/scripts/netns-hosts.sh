#!/bin/sh
# Two "hosts" on one machine for MPI tests and benches: network namespaces sg-h1 and sg-h2 joined
# by a veth pair on a private /24, loopback up in each. Needs root (or CAP_NET_ADMIN) and `ip netns`.
#
#   netns-hosts.sh up [RATE]     create them (replacing leftovers of an earlier run), the link at RATE
#   netns-hosts.sh rate RATE     set the link's rate on hosts that are up: 1gbit, 100mbit, … or none
#   netns-hosts.sh down          remove them (no error when they are not there)
#   netns-hosts.sh check         exit 0 when they are up
#
# A rate is a token-bucket filter (`tc qdisc … tbf`; netem is not in every kernel, tbf is) on both
# ends of the veth pair, so each direction runs at RATE: burst RATE/3125 (0.32 ms of traffic:
# 32kbit at 100mbit, 320kbit at 1gbit; at least 32kbit), latency 50ms. `none` (the default) removes
# it. `tc -s qdisc show dev PREFIX-v1` in the first host counts the bytes it let through.
#
# Environment: SG_NETNS_PREFIX (default sg), SG_NETNS_SUBNET (default 10.213.7; the hosts are .1
# and .2 of it, /24), SG_NETNS_RATE (the rate of `up` without one, default none). With them up, run MPI like this (mpirun itself inside the first host, so that
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

# a rate's tbf burst in kbit (0 for none); a rate it cannot read: one line, exit 2
burst_of() {
  [ "$1" = none ] && { echo 0; return; }
  n=$(echo "$1" | sed -n 's/^\([1-9][0-9]*\)\([kmg]\)bit$/\1/p')
  case "$1" in
    *kbit) kbit=$n ;;
    *mbit) kbit=$((n * 1000)) ;;
    *gbit) kbit=$((n * 1000000)) ;;
  esac
  if [ -z "$n" ]; then
    echo "netns-hosts.sh: rate: expected a number with kbit, mbit or gbit (1gbit, 100mbit) or none, got '$1'" >&2
    exit 2
  fi
  burst=$((kbit / 3125))
  [ "$burst" -ge 32 ] || burst=32
  echo "$burst"
}

# the link's rate on both ends: a tbf qdisc, or none
rate() {
  burst=$(burst_of "$1")
  if [ "$burst" = 0 ]; then
    ip netns exec "$H1" tc qdisc del dev "$P-v1" root 2>/dev/null || true
    ip netns exec "$H2" tc qdisc del dev "$P-v2" root 2>/dev/null || true
    return
  fi
  ip netns exec "$H1" tc qdisc replace dev "$P-v1" root tbf rate "$1" burst "${burst}kbit" latency 50ms
  ip netns exec "$H2" tc qdisc replace dev "$P-v2" root tbf rate "$1" burst "${burst}kbit" latency 50ms
}

down() {
  # deleting a namespace deletes its end of the veth pair, and with it the other end
  ip netns del "$H1" 2>/dev/null || true
  ip netns del "$H2" 2>/dev/null || true
  ip link del "$P-v1" 2>/dev/null || true
  # the daemons' session directories (netns-agent.sh), empty once OpenMPI has cleaned up
  rm -rf "/tmp/ompi-netns-$H1" "/tmp/ompi-netns-$H2"
}

case "${1:-}" in
  up)
    r=${2:-${SG_NETNS_RATE:-none}}
    burst_of "$r" >/dev/null
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
    rate "$r"
    echo "netns hosts up: $H1=$NET.1 $H2=$NET.2 (subnet $NET.0/24), link rate $r"
    ;;
  rate)
    rate "${2:-}"
    ;;
  down)
    down
    ;;
  check)
    ip netns list | grep -q "^$H1\b" && ip netns list | grep -q "^$H2\b"
    ;;
  *)
    echo "usage: $0 up [RATE]|rate RATE|down|check (RATE: 1gbit, 100mbit, … or none)" >&2
    exit 2
    ;;
esac
