#!/bin/sh
# rsh agent for OpenMPI (--mca plm_rsh_agent): runs a daemon on a network-namespace "host" made by
# netns-hosts.sh. OpenMPI calls it as `agent HOST command...`, the command being one shell line, as
# it would be for ssh.
host="$1"
shift
exec ip netns exec "$host" /bin/sh -c "$*"
