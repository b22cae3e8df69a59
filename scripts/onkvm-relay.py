#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""onkvm-relay.py: the inside end of `scripts/onkvm --forward`.

    onkvm-relay.py ADDRESS PORT[,PORT...] -- COMMAND [ARG...]

Runs in the emulated KVM host. It listens on ADDRESS:PORT for each PORT
(ADDRESS is the host's eth0, to which QEMU's user networking forwards
127.0.0.1:PORT of the machine outside), then becomes COMMAND (exec: the run's
exit status is the command's) while a child process relays each connection to
127.0.0.1:PORT, where the command listens: minikvm's gdb stub stays on
loopback, as it would be outside. A connection that comes before the command
listens waits for it (CONNECT_WAIT seconds).

Both directions are copied as they come, with TCP_NODELAY (gdb's packets are
small and each waits for its answer), and an end of one direction is passed
on as a shutdown of the other, so a gdb that detaches and disconnects is seen
by minikvm as it would be directly.

Exit status: the command's; 125 if a port could not be listened on.
"""
import os
import signal
import socket
import sys
import threading
import time

CONNECT_WAIT = 60


def say(msg):
    print("onkvm: " + msg, file=sys.stderr, flush=True)


def copy(src, dst):
    """Copy src to dst until src ends, then end dst's writing side."""
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    try:
        dst.shutdown(socket.SHUT_WR)
    except OSError:
        pass


def connect_inside(port):
    deadline = time.monotonic() + CONNECT_WAIT
    while True:
        try:
            return socket.create_connection(("127.0.0.1", port))
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def relay(client, port):
    with client:
        try:
            inside = connect_inside(port)
        except OSError as e:
            say("nothing listens on 127.0.0.1:%d in the emulated host after %d s (%s): "
                "connection closed" % (port, CONNECT_WAIT, e.strerror or e))
            return
        with inside:
            for s in (client, inside):
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            back = threading.Thread(target=copy, args=(inside, client), daemon=True)
            back.start()
            copy(client, inside)
            back.join()


def serve(listener, port):
    while True:
        client, _ = listener.accept()
        threading.Thread(target=relay, args=(client, port), daemon=True).start()


def main(argv):
    if len(argv) < 4 or argv[2] != "--":
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 125
    address, ports, command = argv[0], [int(p) for p in argv[1].split(",")], argv[3:]
    listeners = []
    for port in ports:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)  # close-on-exec (Python's default)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((address, port))
            s.listen(8)
        except OSError as e:
            say("cannot listen on %s:%d in the emulated host: %s" % (address, port, e.strerror or e))
            return 125
        listeners.append((s, port))
    for _, port in listeners:
        say("port %d of this machine (127.0.0.1) reaches port %d in the emulated KVM host" % (port, port))

    if os.fork() == 0:
        # The relay: out of the command's session and terminal (--tty), so
        # that no key typed there signals it; it ends with the host.
        os.setsid()
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        null = os.open(os.devnull, os.O_RDWR)
        os.dup2(null, 0)
        os.dup2(null, 1)
        threads = [threading.Thread(target=serve, args=ls) for ls in listeners]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        os._exit(0)
    try:
        os.execvp(command[0], command)
    except OSError as e:
        print("%s: %s" % (command[0], e.strerror or e), file=sys.stderr)
        return 127


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
