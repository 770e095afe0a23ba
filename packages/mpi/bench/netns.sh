#!/bin/sh
# Runs bench/exchange.mjs at -np 2 across the two network-namespace hosts of
# scripts/netns-hosts.sh (TCP over the veth pair only), removing the namespaces afterwards.
# Root only. Arguments go to exchange.mjs (e.g. --out bench/results/exchange-np2-netns-tcp.json);
# OMPI_MCA_* settings in the environment reach the ranks (e.g. OMPI_MCA_mpi_yield_when_idle=1).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
export SG_NETNS_PREFIX=${SG_NETNS_PREFIX:-sgb}
NET=${SG_NETNS_SUBNET:-10.213.7}
trap 'sh "$here/../scripts/netns-hosts.sh" down' EXIT INT TERM
sh "$here/../scripts/netns-hosts.sh" up >&2
ip netns exec "$SG_NETNS_PREFIX-h1" mpirun --allow-run-as-root -np 2 --host "$SG_NETNS_PREFIX-h1,$SG_NETNS_PREFIX-h2" \
  --mca rtc ^hwloc --mca plm_rsh_agent "$here/../scripts/netns-agent.sh" \
  --mca btl tcp,self --mca btl_tcp_if_include "$NET.0/24" --mca oob_tcp_if_include "$NET.0/24" \
  "$(command -v node)" "$here/exchange.mjs" "$@" --label "two network-namespace hosts (veth pair), -np 2, btl tcp,self${OMPI_MCA_mpi_yield_when_idle:+, mpi_yield_when_idle=$OMPI_MCA_mpi_yield_when_idle}"
