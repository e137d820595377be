#!/usr/bin/env python3
"""A throwaway PostgreSQL cluster for the tests (and the benchmark).

  pg_cluster.py start DIR [--durable]   initdb + pg_ctl start under DIR, on 127.0.0.1
                                        and a free port; prints the admin URL
  pg_cluster.py stop DIR                pg_ctl stop, then DIR is removed
  pg_cluster.py restart DIR             pg_ctl restart (fast: sessions are cut)

Debian's PostgreSQL (apt-get install postgresql) is used from
/usr/lib/postgresql/<version>/bin. The cluster runs as the unprivileged user
`nobody` (initdb refuses root) when started by root. The superuser is
`shiprelay` with a random password: TCP connections need it (scram-sha-256),
the Unix socket in DIR is trusted (for creating databases). DIR/cluster.json
says how to reach it: port, socket dir, password, admin URL.

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
    if os.geteuid() == 0:
        nobody = pwd.getpwnam("nobody")
        os.chown(d, nobody.pw_uid, nobody.pw_gid)
    os.chmod(d, 0o700)
    password = secrets.token_hex(16)
    pwfile = os.path.join(d, "pw")
    with open(pwfile, "w") as f:
        f.write(password + "\n")
    if os.geteuid() == 0:
        os.chown(pwfile, pwd.getpwnam("nobody").pw_uid, -1)
    data = os.path.join(d, "data")
    b = bindir()
    as_owner([os.path.join(b, "initdb"), "-D", data, "-U", "shiprelay", "--pwfile", pwfile, "-E", "UTF8",
              "--auth-host=scram-sha-256", "--auth-local=trust", "--no-sync"], stdout=subprocess.DEVNULL)
    os.unlink(pwfile)
    port = free_port()
    with open(os.path.join(data, "postgresql.conf"), "a") as f:
        f.write("listen_addresses = '127.0.0.1'\nport = %d\nunix_socket_directories = '%s'\n" % (port, d))
        f.write("max_connections = 400\nshared_buffers = 128MB\nmax_locks_per_transaction = 256\n")
        f.write("logging_collector = off\nlog_min_messages = warning\n")
        if not durable:
            f.write("fsync = off\nfull_page_writes = off\n")
    as_owner([os.path.join(b, "pg_ctl"), "-D", data, "-l", os.path.join(d, "postgres.log"), "-w", "-t", "60",
              "start"], stdout=subprocess.DEVNULL)
    c = {"port": port, "socket": d, "password": password, "bin": b,
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
    as_owner([os.path.join(c["bin"], "pg_ctl"), "-D", os.path.join(d, "data"), "-l",
              os.path.join(d, "postgres.log"), "-w", "-t", "60", "-m", "fast", action] + list(extra),
             stdout=subprocess.DEVNULL)


def stop(d):
    if os.path.exists(os.path.join(d, "data", "postmaster.pid")):
        try:
            pg_ctl(d, "stop")
        except subprocess.CalledProcessError:
            time.sleep(1)
    shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    if len(sys.argv) < 3 or sys.argv[1] not in ("start", "stop", "restart"):
        raise SystemExit(__doc__)
    cmd, d = sys.argv[1], os.path.abspath(sys.argv[2])
    if cmd == "start":
        if os.path.exists(os.path.join(d, "data", "postmaster.pid")):
            stop(d)  # a cluster a crashed run left behind
        print(start(d, "--durable" in sys.argv)["url"].split("@")[1])
    elif cmd == "stop":
        stop(d)
    else:
        pg_ctl(d, "restart")
