#!/usr/bin/env python3
"""A throwaway PostgreSQL cluster for the tests (and the benchmark).

  pg_cluster.py start DIR [--durable]   initdb + pg_ctl start, on 127.0.0.1 and a
                                        free port; prints host:port/postgres
  pg_cluster.py stop DIR                pg_ctl stop, then the cluster and DIR are removed
  pg_cluster.py restart DIR             pg_ctl restart (fast: sessions are cut)

Debian's PostgreSQL (apt-get install postgresql) is used from
/usr/lib/postgresql/<version>/bin. The cluster runs as the unprivileged user
`nobody` (initdb and postgres refuse root) when started by root, in a fresh
directory under the system's temporary directory (DIR may sit where nobody
cannot reach, and a Unix socket path must stay short). The superuser is
`shiprelay` with a random password: TCP connections need it (scram-sha-256),
the Unix socket is trusted (for creating databases). DIR/cluster.json says
how to reach it: port, socket dir, password, admin URL, and where the
cluster lives (root).

Without --durable the cluster runs with fsync off: the tests kill relays,
never the machine, and restart PostgreSQL cleanly (a clean shutdown writes
everything). The benchmark passes --durable. Standard library only.
"""
import glob
import json
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time


def bindir():
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(p.split("/")[4]))
    if not found:
        raise SystemExit("pg_cluster: no PostgreSQL server (apt-get install postgresql)")
    return os.path.dirname(found[-1])


def as_owner(cmd, **kw):
    """Run cmd as nobody when we are root (initdb and postgres refuse root)."""
    if os.geteuid() == 0:
        cmd = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "--"] + cmd
    env = dict(os.environ, LC_ALL="C.UTF-8", LANG="C.UTF-8")
    env.pop("PGPASSWORD", None)
    return subprocess.run(cmd, env=env, check=True, **kw)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def info(d):
    with open(os.path.join(d, "cluster.json")) as f:
        return json.load(f)


def start(d, durable=False):
    os.makedirs(d, exist_ok=True)
    os.chmod(d, 0o700)  # cluster.json holds the password
    root = tempfile.mkdtemp(prefix="shiprelay-pg-")
    if os.geteuid() == 0:
        nobody = pwd.getpwnam("nobody")
        os.chown(root, nobody.pw_uid, nobody.pw_gid)
    with open(os.path.join(d, "cluster.json"), "w") as f:
        json.dump({"root": root}, f)  # so a stop finds it, even if the start fails below
    password = secrets.token_hex(16)
    pwfile = os.path.join(root, "pw")
    with open(pwfile, "w") as f:
        f.write(password + "\n")
    if os.geteuid() == 0:
        os.chown(pwfile, pwd.getpwnam("nobody").pw_uid, -1)
    data = os.path.join(root, "data")
    b = bindir()
    as_owner([os.path.join(b, "initdb"), "-D", data, "-U", "shiprelay", "--pwfile", pwfile, "-E", "UTF8",
              "--auth-host=scram-sha-256", "--auth-local=trust", "--no-sync"], stdout=subprocess.DEVNULL)
    os.unlink(pwfile)
    with open(os.path.join(data, "postgresql.conf"), "a") as f:
        f.write("listen_addresses = '127.0.0.1'\nunix_socket_directories = '%s'\n" % root)
        f.write("max_connections = 400\nshared_buffers = 128MB\nmax_locks_per_transaction = 256\n")
        # no parallel workers (two cores; and /dev/shm is small in containers)
        f.write("max_parallel_workers_per_gather = 0\ndynamic_shared_memory_type = mmap\n")
        f.write("logging_collector = off\nlog_min_messages = warning\n")
        if not durable:
            f.write("fsync = off\nfull_page_writes = off\n")
    log = os.path.join(root, "postgres.log")
    for attempt in range(5):  # a free port may be taken by someone else before postgres binds it
        port = free_port()
        with open(os.path.join(data, "postgresql.conf"), "a") as f:
            f.write("port = %d\n" % port)  # the last one counts
        try:
            as_owner([os.path.join(b, "pg_ctl"), "-D", data, "-l", log, "-w", "-t", "60", "start"],
                     stdout=subprocess.DEVNULL)
            break
        except subprocess.CalledProcessError:
            with open(log, errors="replace") as f:
                taken = "could not bind" in f.read()
            if not taken or attempt == 4:
                raise
    c = {"root": root, "port": port, "socket": root, "password": password, "bin": b,
         "url": "postgresql://shiprelay:%s@127.0.0.1:%d/postgres" % (password, port)}
    with open(os.path.join(d, "cluster.json"), "w") as f:
        json.dump(c, f)
    return c


def psql(d, sql, db="postgres"):
    c = info(d)
    return subprocess.run([os.path.join(c["bin"], "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", c["socket"],
                           "-p", str(c["port"]), "-U", "shiprelay", "-d", db, "-At", "-c", sql],
                          check=True, capture_output=True, text=True).stdout


def create_db(d, name):
    psql(d, 'CREATE DATABASE "%s"' % name)
    c = info(d)
    return "postgresql://shiprelay:%s@127.0.0.1:%d/%s" % (c["password"], c["port"], name)


def drop_db(d, name):
    psql(d, 'DROP DATABASE IF EXISTS "%s" WITH (FORCE)' % name)


def pg_ctl(d, action, *extra):
    c = info(d)
    as_owner([os.path.join(bindir(), "pg_ctl"), "-D", os.path.join(c["root"], "data"), "-l",
              os.path.join(c["root"], "postgres.log"), "-w", "-t", "60", "-m", "fast", action] + list(extra),
             stdout=subprocess.DEVNULL)


def stop(d):
    """Stop the cluster DIR names (if it runs) and remove it and DIR."""
    try:
        root = info(d)["root"]
    except (OSError, ValueError, KeyError):
        root = None
    if root and os.path.exists(os.path.join(root, "data", "postmaster.pid")):
        try:
            pg_ctl(d, "stop")
        except subprocess.CalledProcessError:
            time.sleep(1)
    if root:
        shutil.rmtree(root, ignore_errors=True)
    shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    if len(sys.argv) < 3 or sys.argv[1] not in ("start", "stop", "restart"):
        raise SystemExit(__doc__)
    cmd, d = sys.argv[1], os.path.abspath(sys.argv[2])
    if cmd == "start":
        stop(d)  # a cluster a crashed run left behind
        print(start(d, "--durable" in sys.argv)["url"].split("@")[1])
    elif cmd == "stop":
        stop(d)
    else:
        pg_ctl(d, "restart")
