//! A private PostgreSQL server in a project data folder.
//!
//! Run as root, the server runs as the `postgres` user, which may not be able to enter the
//! project's folder (a checkout in root's home or in a private `mktemp -d` folder). The
//! cluster's files then live in a folder of their own in that user's home (or the system's temp
//! folder), recorded in the project folder's `data-elsewhere` file; [`remove_cluster`] removes
//! both. The server's log stays in the project folder either way.

use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use nix::sys::signal::{Signal, kill};
use nix::unistd::{Pid, Uid, User};

/// How to run the server.
#[derive(Clone, Debug)]
pub struct PgOptions {
    /// Folder for the cluster; created with `initdb` on first use, reused afterwards.
    pub dir: PathBuf,
    /// TCP port on `listen`.
    pub port: u16,
    /// Address to listen on: 127.0.0.1 unless the server runs in a network namespace.
    pub listen: IpAddr,
    /// A network namespace (`ip netns`) to run the server in; `None`: this process's.
    pub netns: Option<String>,
    /// Networks (CIDR) whose clients are trusted, besides the loopback ones `initdb` trusts:
    /// the namespaces of a chaos run.
    pub trusted_networks: Vec<String>,
    /// Trade durability for speed (fsync off): for tests and throwaway clusters only.
    pub unsafe_fast: bool,
    /// `shared_buffers`, for example `512MB`.
    pub shared_buffers: String,
    pub max_connections: u32,
    /// More server settings (`name=value`): continuous archiving, recovery targets.
    pub settings: Vec<String>,
}

impl PgOptions {
    pub fn new(dir: impl Into<PathBuf>, port: u16) -> Self {
        Self {
            dir: dir.into(),
            port,
            listen: IpAddr::V4(Ipv4Addr::LOCALHOST),
            netns: None,
            trusted_networks: Vec::new(),
            unsafe_fast: false,
            shared_buffers: "512MB".into(),
            max_connections: 200,
            settings: Vec::new(),
        }
    }
}

/// A running server. Dropping it stops the server if this value started it.
#[derive(Debug)]
pub struct PgServer {
    opts: PgOptions,
    /// PID of the postmaster we started; `None` when we attached to one already running.
    started: Option<Pid>,
}

impl PgServer {
    /// Starts the server in `opts.dir`, running `initdb` first if the folder is new. When a server
    /// from an earlier run is still running on that folder, attaches to it instead (and will not
    /// stop it).
    pub fn start(opts: PgOptions) -> Result<Self> {
        let bin = pg_bin_dir()?;
        let run_as = unprivileged_user()?;
        std::fs::create_dir_all(&opts.dir).with_context(|| format!("creating {}", opts.dir.display()))?;
        let data = data_dir(&opts.dir, &run_as)?;

        if let Some(pid) = running_postmaster(&data) {
            let port = read_port(&data).unwrap_or(opts.port);
            let opts = PgOptions { port, ..opts };
            eprintln!("postgres already running (pid {pid}) on port {port}; reusing it");
            return Ok(Self { opts, started: None });
        }

        if !data.join("PG_VERSION").exists() {
            let mut cmd = command_as(&run_as, None, bin.join("initdb"));
            cmd.args(["-D"]).arg(&data).args([
                "-U",
                "postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C",
                "--no-instructions",
            ]);
            let out = cmd.output().context("running initdb")?;
            if !out.status.success() {
                bail!("initdb failed: {}", String::from_utf8_lossy(&out.stderr));
            }
        }
        trust_networks(&data, &opts.trusted_networks)?;

        // Opened here and handed over as the server's output: the server's user need not reach it.
        let log = opts.dir.join("postgres.log");
        let log_file = std::fs::OpenOptions::new().create(true).append(true).open(&log)?;
        let mut cmd = command_as(&run_as, opts.netns.as_deref(), bin.join("postgres"));
        cmd.arg("-D").arg(&data);
        let mut settings = vec![
            format!("port={}", opts.port),
            format!("listen_addresses={}", opts.listen),
            "unix_socket_directories=".into(),
            format!("max_connections={}", opts.max_connections),
            format!("shared_buffers={}", opts.shared_buffers),
            "max_wal_size=4GB".into(),
            "checkpoint_timeout=15min".into(),
            "max_pred_locks_per_transaction=256".into(),
            "log_min_messages=warning".into(),
        ];
        if opts.unsafe_fast {
            settings.extend(["fsync=off".into(), "synchronous_commit=off".into(), "full_page_writes=off".into()]);
        }
        for s in settings.iter().chain(&opts.settings) {
            cmd.arg("-c").arg(s);
        }
        cmd.stdin(Stdio::null()).stdout(log_file.try_clone()?).stderr(log_file);
        // Own process group: a Ctrl-C in the terminal reaches us, and we stop the server ourselves.
        use std::os::unix::process::CommandExt;
        cmd.process_group(0);
        let child = cmd.spawn().context("starting postgres")?;
        let pid = Pid::from_raw(child.id() as i32);
        let server = Self { opts, started: Some(pid) };
        server.wait_ready(&log)?;
        Ok(server)
    }

    fn wait_ready(&self, log: &Path) -> Result<()> {
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if std::net::TcpStream::connect_timeout(&(self.opts.listen, self.opts.port).into(), Duration::from_secs(1))
                .is_ok()
            {
                // The port opens before recovery ends; ask until a query succeeds.
                let ok = Command::new(pg_bin_dir()?.join("pg_isready"))
                    .args([
                        "-h",
                        &self.opts.listen.to_string(),
                        "-p",
                        &self.opts.port.to_string(),
                        "-U",
                        "postgres",
                        "-q",
                    ])
                    .status()
                    .map(|s| s.success())
                    .unwrap_or(false);
                if ok {
                    return Ok(());
                }
            }
            // Gone, or a zombie of ours: it will not become ready.
            if let Some(pid) = self.started
                && !matches!(
                    nix::sys::wait::waitpid(pid, Some(nix::sys::wait::WaitPidFlag::WNOHANG)),
                    Ok(nix::sys::wait::WaitStatus::StillAlive)
                )
            {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let tail = std::fs::read_to_string(log).unwrap_or_default();
        let tail: Vec<_> = tail.lines().rev().take(20).collect::<Vec<_>>().into_iter().rev().collect();
        bail!("postgres did not become ready on port {}; log:\n{}", self.opts.port, tail.join("\n"))
    }

    pub fn port(&self) -> u16 {
        self.opts.port
    }

    /// Connection URL for a database on this server.
    pub fn url(&self, database: &str) -> String {
        format!("{}/{database}", self.base_url())
    }

    /// The server URL without a database (`postgres://postgres@127.0.0.1:PORT`).
    pub fn base_url(&self) -> String {
        format!("postgres://postgres@{}:{}", self.opts.listen, self.opts.port)
    }

    /// PID of the postmaster this value started.
    pub fn pid(&self) -> Option<u32> {
        self.started.map(|pid| pid.as_raw() as u32)
    }

    /// Whether this value started the server (and so will stop it).
    pub fn owned(&self) -> bool {
        self.started.is_some()
    }

    /// The address the server listens on.
    pub fn host(&self) -> IpAddr {
        self.opts.listen
    }

    /// Leaves the server running when this value is dropped (a restored cluster the stack now
    /// runs on); returns its PID.
    pub fn detach(&mut self) -> Option<u32> {
        self.started.take().map(|pid| pid.as_raw() as u32)
    }

    /// The text `psql` prints for `sql` on `database` (unaligned, tuples only).
    pub fn psql(&self, database: &str, sql: &str) -> Result<String> {
        let out = Command::new(pg_bin_dir()?.join("psql"))
            .args(["-h", &self.opts.listen.to_string(), "-p", &self.opts.port.to_string(), "-U", "postgres"])
            .args(["-d", database, "-X", "-t", "-A", "-v", "ON_ERROR_STOP=1", "-c", sql])
            .output()
            .context("running psql")?;
        if !out.status.success() {
            bail!("psql `{sql}` failed: {}", String::from_utf8_lossy(&out.stderr).trim());
        }
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
    }

    /// Fast shutdown (SIGINT to the postmaster we started), waiting for it to exit.
    pub fn stop(&mut self) {
        let Some(pid) = self.started.take() else { return };
        if kill(pid, Signal::SIGINT).is_err() {
            return;
        }
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            match nix::sys::wait::waitpid(pid, Some(nix::sys::wait::WaitPidFlag::WNOHANG)) {
                Ok(nix::sys::wait::WaitStatus::StillAlive) => std::thread::sleep(Duration::from_millis(50)),
                _ => return,
            }
        }
        let _ = kill(pid, Signal::SIGQUIT);
    }
}

impl Drop for PgServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The folder with `initdb` and `postgres`: `pg_config --bindir`, else the newest
/// `/usr/lib/postgresql/*/bin`.
pub fn pg_bin_dir() -> Result<PathBuf> {
    if let Ok(out) = Command::new("pg_config").arg("--bindir").output()
        && out.status.success()
    {
        let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        if dir.join("initdb").exists() {
            return Ok(dir);
        }
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .filter_map(|e| Some((e.file_name().to_str()?.parse().ok()?, e.path().join("bin"))))
        .filter(|(_, p): &(u32, PathBuf)| p.join("initdb").exists())
        .collect();
    versions.sort();
    versions.pop().map(|(_, p)| p).context("no PostgreSQL server binaries found (install the postgresql package)")
}

/// The folder the server's user writes in for project folder `dir`: `dir/data`, or the folder
/// of its own recorded in `dir/data-elsewhere` when that user cannot enter `dir` (see the
/// module's documentation). Removed with `dir` by [`remove_cluster`].
pub fn server_folder(dir: &Path) -> Result<PathBuf> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    data_dir(dir, &unprivileged_user()?)
}

/// `program` run as the server's user (this process's user unless root).
pub(crate) fn server_command(program: PathBuf) -> Result<Command> {
    Ok(command_as(&unprivileged_user()?, None, program))
}

/// When running as root, the user to run the server as.
fn unprivileged_user() -> Result<Option<User>> {
    if !Uid::effective().is_root() {
        return Ok(None);
    }
    let user = User::from_name("postgres")?
        .context("running as root needs a `postgres` user to run PostgreSQL as (install the postgresql package)")?;
    Ok(Some(user))
}

/// `program` as `user`, in network namespace `netns`. `ip netns exec` and setpriv both exec
/// what they run, so the PID of the child is the program's own.
fn command_as(user: &Option<User>, netns: Option<&str>, program: PathBuf) -> Command {
    let mut argv: Vec<std::ffi::OsString> = Vec::new();
    if let Some(ns) = netns {
        argv.extend(["ip", "netns", "exec", ns].map(Into::into));
    }
    if let Some(user) = user {
        argv.push("setpriv".into());
        argv.push(format!("--reuid={}", user.uid).into());
        argv.push(format!("--regid={}", user.gid).into());
        argv.push("--init-groups".into());
        argv.push("--reset-env".into());
    }
    argv.push(program.into());
    let mut cmd = Command::new(&argv[0]);
    cmd.args(&argv[1..]);
    if user.is_some() {
        // initdb returns to its working folder after looking up its own path; ours may be closed
        // to the user.
        cmd.current_dir("/");
    }
    cmd
}

/// Adds a `trust` line to `pg_hba.conf` for each network of `networks` not there yet.
fn trust_networks(data: &Path, networks: &[String]) -> Result<()> {
    if networks.is_empty() {
        return Ok(());
    }
    let path = data.join("pg_hba.conf");
    let mut text = std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    for network in networks {
        let line = format!("host all all {network} trust");
        if !text.lines().any(|l| l.trim() == line) {
            text.push_str(&line);
            text.push('\n');
        }
    }
    std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))
}

/// File in a project folder naming the folder that holds its cluster's files instead.
const ELSEWHERE: &str = "data-elsewhere";

/// The cluster's data folder for project folder `dir`: `dir/data`, or, when `user` cannot
/// enter `dir`, the folder recorded in `dir/data-elsewhere` (chosen and recorded on first use).
fn data_dir(dir: &Path, user: &Option<User>) -> Result<PathBuf> {
    let Some(user) = user else { return Ok(dir.join("data")) };
    let marker = dir.join(ELSEWHERE);
    if let Ok(text) = std::fs::read_to_string(&marker) {
        let data = PathBuf::from(text.trim());
        if data.is_dir() {
            return Ok(data);
        }
    }
    nix::unistd::chown(dir, Some(user.uid), Some(user.gid))?;
    if can_enter(user, dir)? {
        return Ok(dir.join("data"));
    }
    let data = elsewhere(user, dir)?;
    std::fs::write(&marker, format!("{}\n", data.display()))
        .with_context(|| format!("writing {}", marker.display()))?;
    eprintln!(
        "the `{}` user cannot enter {}; the cluster's files are in {} (removed with the folder by the tooling)",
        user.name,
        dir.display(),
        data.display()
    );
    Ok(data)
}

/// Whether `user` can enter and write in `dir` (every folder above it included).
fn can_enter(user: &User, dir: &Path) -> Result<bool> {
    let status = command_as(&Some(user.clone()), None, PathBuf::from("test"))
        .args(["-x"])
        .arg(dir)
        .args(["-a", "-w"])
        .arg(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .context("running setpriv")?;
    Ok(status.success())
}

/// A new, empty folder that `user` owns, outside `dir`, for `dir`'s cluster: under the user's
/// home (which only that user can write in), or else the system's temp folder.
fn elsewhere(user: &User, dir: &Path) -> Result<PathBuf> {
    let home = user.dir.join("shop-clusters");
    let parent = if std::fs::create_dir_all(&home).is_ok() && can_enter(user, &user.dir)? {
        nix::unistd::chown(&home, Some(user.uid), Some(user.gid))?;
        home
    } else {
        std::env::temp_dir()
    };
    let name: String = dir.to_string_lossy().chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '-' }).collect();
    let name = name.trim_matches('-');
    let name = &name[name.len().saturating_sub(60)..];
    // create_dir fails on an existing entry, so a name planted in a shared folder is never used.
    for attempt in 0..100u32 {
        let data = parent.join(format!("{name}-{}-{attempt}", std::process::id()));
        match std::fs::create_dir(&data) {
            Ok(()) => {
                nix::unistd::chown(&data, Some(user.uid), Some(user.gid))?;
                std::fs::set_permissions(&data, std::os::unix::fs::PermissionsExt::from_mode(0o700))?;
                return Ok(data);
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e).with_context(|| format!("creating {}", data.display())),
        }
    }
    bail!("no free folder name for the cluster of {} in {}", dir.display(), parent.display())
}

/// Removes project folder `dir` and its cluster's files, wherever they are. The server must be
/// stopped.
pub fn remove_cluster(dir: &Path) -> Result<()> {
    if let Ok(text) = std::fs::read_to_string(dir.join(ELSEWHERE)) {
        let data = PathBuf::from(text.trim());
        if data.exists() {
            std::fs::remove_dir_all(&data).with_context(|| format!("removing {}", data.display()))?;
        }
    }
    match std::fs::remove_dir_all(dir) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(e).with_context(|| format!("removing {}", dir.display()))
        }
        _ => Ok(()),
    }
}

/// PID of a live postmaster on `data`, from its `postmaster.pid`.
fn running_postmaster(data: &Path) -> Option<Pid> {
    let text = std::fs::read_to_string(data.join("postmaster.pid")).ok()?;
    let pid = Pid::from_raw(text.lines().next()?.trim().parse().ok()?);
    kill(pid, None).ok().map(|_| pid)
}

fn read_port(data: &Path) -> Option<u16> {
    let text = std::fs::read_to_string(data.join("postmaster.pid")).ok()?;
    text.lines().nth(3)?.trim().parse().ok()
}
