"""Packaging: `cmake --install` puts the binary, the documented config, the
systemd unit (with the prefix's paths) and the README in place; `cpack -G
DEB` builds a .deb for Debian 12 whose Depends resolve (apt-get install
--simulate, against this machine's package state); the .deb installs with
dpkg -i into a scratch root (its maintainer scripts run there, DPKG_ROOT-
aware: the shiprelay user, the config root:shiprelay 0640), and the
installed unit passes systemd-analyze verify. Runs on the normal build only
(tests/CMakeLists.txt): a sanitizer build is not a package."""
import glob
import os
import shutil
import stat
import subprocess
import tempfile
import unittest

import relay as harness
from relay import BIN

BUILD = os.path.dirname(os.path.abspath(BIN))


def sh(*args, **kw):
    r = subprocess.run(args, capture_output=True, text=True, timeout=600, **kw)
    if r.returncode != 0:
        raise AssertionError("%s: exit %d\n%s\n%s" % (" ".join(args), r.returncode, r.stdout[-3000:], r.stderr[-3000:]))
    return r


def ensure(tool, package):
    """Install a Debian package for a tool the test needs (CI is a fresh Debian 12, as root)."""
    if shutil.which(tool):
        return
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    sh("apt-get", "update", "-qq", env=env)
    sh("apt-get", "install", "-y", "-qq", "--no-install-recommends", package, env=env)


@unittest.skipIf(harness.POSTGRESQL, "the package is the build's, whatever the backend: no relay runs on a database "
                 "here, the SQLite pass runs this, and both passes at once would race for apt-get's lock")
class PackageTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="shiprelay-pkg-")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_cmake_install(self):
        dest = os.path.join(self.tmp, "dest")
        env = dict(os.environ, DESTDIR=dest)
        sh("cmake", "--install", BUILD, "--prefix", "/opt/sr", env=env)
        root = dest + "/opt/sr"
        self.assertTrue(os.access(root + "/bin/shiprelay", os.X_OK))
        conf = root + "/etc/shiprelay/shiprelay.conf"
        self.assertEqual(stat.S_IMODE(os.stat(conf).st_mode), 0o640, "the config is not world-readable")
        self.assertEqual(sh(root + "/bin/shiprelay", "--check-config", conf).returncode, 0)
        self.assertTrue(os.path.exists(root + "/share/doc/shiprelay/README.md"))
        self.assertTrue(os.path.exists(root + "/lib/sysusers.d/shiprelay.conf"))
        with open(root + "/lib/systemd/system/shiprelay.service") as f:
            unit = f.read()
        self.assertIn("ExecStart=/opt/sr/bin/shiprelay --config /opt/sr/etc/shiprelay/shiprelay.conf\n", unit)
        self.assertIn("ExecReload=/bin/kill -HUP $MAINPID\n", unit)
        self.assertIn("Type=notify\n", unit)
        self.assertNotRegex(unit, r"@[A-Z]+@")
        # installing again keeps an operator's config
        with open(conf, "a") as f:
            f.write('[tenant "mine"]\napi_key = mine-key-0123456789\n')
        sh("cmake", "--install", BUILD, "--prefix", "/opt/sr", env=env)
        with open(conf) as f:
            self.assertIn('[tenant "mine"]', f.read())

    def test_deb_installs_into_a_scratch_root_and_its_unit_verifies(self):
        ensure("dpkg-shlibdeps", "dpkg-dev")
        ensure("systemd-analyze", "systemd")
        ensure("kill", "procps")
        out = os.path.join(self.tmp, "cpack")
        sh("cpack", "-G", "DEB", "-B", out, "--config", os.path.join(BUILD, "CPackConfig.cmake"))
        debs = glob.glob(os.path.join(out, "shiprelay_*_*.deb"))
        self.assertEqual(len(debs), 1, os.listdir(out))
        deb = debs[0]
        info = sh("dpkg-deb", "--field", deb, "Package", "Depends").stdout
        for lib in ("libevent-2.1-7", "libevent-pthreads-2.1-7", "libjansson4", "libsqlite3-0", "libinih1", "libssl3",
                    "libcurl4", "libsystemd0", "libunistring2", "libpq5", "libc6", "systemd", "procps"):
            self.assertIn(lib, info)
        self.assertEqual(sh("dpkg-deb", "--info", deb, "conffiles").stdout, "/etc/shiprelay/shiprelay.conf\n")
        # the Depends resolve on Debian 12 (simulated: nothing is installed here)
        sim = sh("apt-get", "install", "--simulate", "-q", deb).stdout
        self.assertIn("Inst shiprelay", sim)
        # dpkg -i into a scratch root: its own dpkg database, the maintainer
        # scripts run outside a chroot with DPKG_ROOT set. Its dependencies
        # are this machine's (checked above), so dpkg is told not to look.
        root = os.path.join(self.tmp, "root")
        for d in ("var/lib/dpkg/info", "var/lib/dpkg/updates", "var/lib/dpkg/triggers"):
            os.makedirs(os.path.join(root, d))
        for f in ("status", "available"):
            open(os.path.join(root, "var/lib/dpkg", f), "w").close()
        sh("dpkg", "--root=" + root, "--force-script-chrootless", "--force-depends", "--log=/dev/null", "-i", deb)
        self.assertIn("Status: install ok installed", sh("dpkg", "--root=" + root, "-s", "shiprelay").stdout)
        binary = root + "/usr/bin/shiprelay"
        conf = root + "/etc/shiprelay/shiprelay.conf"
        self.assertRegex(sh(binary, "--version").stdout, r"^shiprelay \d+\.\d+\.\d+\n$")
        self.assertEqual(sh(binary, "--check-config", conf).returncode, 0)
        self.assertTrue(os.path.exists(root + "/usr/share/doc/shiprelay/README.md"))
        # the service's user exists, and the config is root:shiprelay 0640
        with open(root + "/etc/passwd") as f:
            users = {l.split(":")[0]: l.split(":") for l in f}
        self.assertIn("shiprelay", users)
        st = os.stat(conf)
        self.assertEqual((st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)), (0, int(users["shiprelay"][3]), 0o640))
        unit = root + "/usr/lib/systemd/system/shiprelay.service"
        with open(unit) as f:
            text = f.read()
        self.assertIn("ExecStart=/usr/bin/shiprelay --config /etc/shiprelay/shiprelay.conf\n", text)
        self.assertIn("User=shiprelay\n", text)
        # systemd-analyze verify on the installed unit. The scratch root gets
        # what the unit leans on from this machine: systemd's own units
        # (sysinit.target, ...) and /bin/kill (ExecReload).
        units = root + "/usr/lib/systemd/system"
        for name in os.listdir("/usr/lib/systemd/system"):
            src, dst = os.path.join("/usr/lib/systemd/system", name), os.path.join(units, name)
            if not os.path.lexists(dst):
                if os.path.islink(src):
                    os.symlink(os.readlink(src), dst)
                elif os.path.isdir(src):
                    shutil.copytree(src, dst, symlinks=True)
                else:
                    shutil.copy(src, dst)
        os.symlink("usr/bin", root + "/bin")
        shutil.copy("/bin/kill", root + "/usr/bin/kill")
        r = subprocess.run(["systemd-analyze", "verify", "--root=" + root, "shiprelay.service"], capture_output=True,
                           text=True, timeout=120)
        self.assertEqual((r.returncode, r.stdout + r.stderr), (0, ""))


if __name__ == "__main__":
    unittest.main()
