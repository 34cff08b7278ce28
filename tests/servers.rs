//! Real PostgreSQL and Redis servers for the shared-store tests: each started on 127.0.0.1, on
//! a free port, in a throwaway directory, and stopped when dropped (also when a test fails).
//! Nothing is assumed to be running; the binaries come from the distribution's packages
//! (`.ci/run` installs them when missing: `apt-get install -y postgresql redis-server`).

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A free TCP port on 127.0.0.1 (the OS picks it; the server binds it next).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// Waits until something accepts connections on `port` (or panics after `limit`).
fn wait_for_port(port: u16, limit: Duration) {
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            started.elapsed() < limit,
            "nothing listens on 127.0.0.1:{port} after {limit:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn run(command: &mut Command) {
    let out = command.output().unwrap_or_else(|e| {
        panic!("cannot run {command:?}: {e} (install PostgreSQL and Redis: see the README)")
    });
    assert!(
        out.status.success(),
        "{command:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// PostgreSQL's binary directory (`pg_config --bindir`, else the newest under
/// `/usr/lib/postgresql`).
fn pg_bindir() -> PathBuf {
    let by_pg_config = Command::new("pg_config")
        .arg("--bindir")
        .output()
        .ok()
        .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()))
        .filter(|dir| dir.join("initdb").exists());
    by_pg_config
        .or_else(|| {
            let mut dirs: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
                .ok()?
                .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
                .filter(|bin| bin.join("initdb").exists())
                .collect();
            dirs.sort();
            dirs.pop()
        })
        .expect("PostgreSQL's initdb (apt-get install -y postgresql)")
}

/// A PostgreSQL server of the test's own.
pub struct Postgres {
    bin: PathBuf,
    dir: tempfile::TempDir,
    /// Its port on 127.0.0.1.
    pub port: u16,
    as_postgres: bool,
}

impl Postgres {
    /// Initialises a throwaway cluster (user `ehr`, trust auth) and starts it.
    pub fn start() -> Self {
        let bin = pg_bindir();
        let dir = tempfile::tempdir().expect("a temporary directory");
        // initdb and postgres refuse to run as root: as root, the cluster is the postgres
        // user's.
        let as_postgres = is_root();
        if as_postgres {
            run(Command::new("chown").arg("postgres").arg(dir.path()));
        }
        let server = Self {
            bin,
            dir,
            port: free_port(),
            as_postgres,
        };
        run(server.command("initdb").args([
            "-D",
            &server.data(),
            "-A",
            "trust",
            "-U",
            "ehr",
            "--no-sync",
            "-E",
            "UTF8",
        ]));
        server.resume();
        server
    }

    fn command(&self, tool: &str) -> Command {
        let path = self.bin.join(tool);
        let mut command = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(path);
            c
        } else {
            Command::new(path)
        };
        command.stdin(Stdio::null());
        command
    }

    fn data(&self) -> String {
        self.dir.path().join("data").display().to_string()
    }

    fn socket_dir(&self) -> &Path {
        self.dir.path()
    }

    /// The URL the stores connect to.
    pub fn url(&self) -> String {
        format!("postgres://ehr@127.0.0.1:{}/postgres", self.port)
    }

    /// Starts it again (after [`stop`](Self::stop)), on the same port and data.
    pub fn resume(&self) {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300",
            self.port,
            self.socket_dir().display()
        );
        let log = self.dir.path().join("log").display().to_string();
        run(self.command("pg_ctl").args([
            "-D",
            &self.data(),
            "-w",
            "-l",
            &log,
            "-o",
            &options,
            "start",
        ]));
        wait_for_port(self.port, Duration::from_secs(30));
    }

    /// Stops it (fast shutdown: open connections are cut).
    pub fn stop(&self) {
        run(self
            .command("pg_ctl")
            .args(["-D", &self.data(), "-w", "-m", "fast", "stop"]));
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let _ = self
            .command("pg_ctl")
            .args(["-D", &self.data(), "-w", "-m", "immediate", "stop"])
            .output();
    }
}

/// A Redis server of the test's own, with its append-only file (a restart keeps the data).
pub struct Redis {
    dir: tempfile::TempDir,
    /// Its port on 127.0.0.1.
    pub port: u16,
    child: Option<Child>,
}

impl Redis {
    /// Starts one.
    pub fn start() -> Self {
        let mut server = Self {
            dir: tempfile::tempdir().expect("a temporary directory"),
            port: free_port(),
            child: None,
        };
        server.resume();
        server
    }

    /// The URL the stores connect to.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// Starts it again (after [`stop`](Self::stop)), on the same port and data.
    pub fn resume(&mut self) {
        let child = Command::new("redis-server")
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args([
                "--save",
                "",
                "--appendonly",
                "yes",
                "--appendfsync",
                "always",
            ])
            .arg("--dir")
            .arg(self.dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server (apt-get install -y redis-server)");
        self.child = Some(child);
        wait_for_port(self.port, Duration::from_secs(30));
    }

    /// Stops it (what it acknowledged is on disk: `appendfsync always`).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        self.stop();
    }
}
