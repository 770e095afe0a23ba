#!/bin/sh
# rsh agent for OpenMPI (--mca plm_rsh_agent): runs a daemon on a network-namespace "host" made by
# netns-hosts.sh. OpenMPI calls it as `agent HOST command...`, the command being one shell line, as
# it would be for ssh.
#
# Each host's daemon gets a session directory of its own (orte_tmpdir_base): the namespace hosts
# share the machine's /tmp and hostname, and two daemons creating the same session path at once
# failed with "File exists" in 9 of 80 launches here (0 of 100 apart). netns-hosts.sh down removes it.
host="$1"
shift
mkdir -p "/tmp/ompi-netns-$host"
exec ip netns exec "$host" env OMPI_MCA_orte_tmpdir_base="/tmp/ompi-netns-$host" /bin/sh -c "$*"
