# tests/strace_programs.rs: a program that handles signals (sh's trap): it
# sends itself SIGUSR1 and SIGHUP, and kills a background sleep.
trap 'echo caught USR1' USR1
trap 'echo caught HUP' HUP
kill -USR1 $$
kill -HUP $$
sleep 5 &
kill -TERM $!
wait $! || echo "sleep ended by signal $(($? - 128))"
