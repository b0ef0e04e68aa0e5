//! A small process manager for `cargo xtask up`: every process is started from a recipe (its
//! program, arguments and environment), watched, and started again when it dies, after a
//! delay that doubles while it keeps dying quickly (1 s, 2 s, 4 s… up to 30 s; reset once it
//! has run for a minute), as systemd's `Restart=` or a Kubernetes `CrashLoopBackOff` would.
//! One process dying never stops the others, so a failover can be watched locally: kill a
//! core and its edge sends shoppers elsewhere until it is back. Ctrl-C or SIGTERM stops
//! everything, in groups: edges, then cores, then partners.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::Result;
use nix::sys::signal::Signal;
use testkit::ChildProcess;

/// First restart delay; doubled for each quick death in a row.
const FIRST_DELAY: Duration = Duration::from_secs(1);
/// Longest restart delay.
const MAX_DELAY: Duration = Duration::from_secs(30);
/// A process that ran this long before dying starts its delays over.
const STABLE_AFTER: Duration = Duration::from_secs(60);

/// Stop order: lower groups stop first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Group {
    Monitoring,
    Edge,
    Core,
    Partner,
}

/// How to start a process again: what its `Command` held.
#[derive(Debug, Clone)]
struct Recipe {
    program: OsString,
    args: Vec<OsString>,
    env: Vec<(OsString, Option<OsString>)>,
    dir: Option<PathBuf>,
}

impl Recipe {
    fn of(cmd: &Command) -> Self {
        Self {
            program: cmd.get_program().to_owned(),
            args: cmd.get_args().map(ToOwned::to_owned).collect(),
            env: cmd.get_envs().map(|(k, v)| (k.to_owned(), v.map(ToOwned::to_owned))).collect(),
            dir: cmd.get_current_dir().map(Path::to_path_buf),
        }
    }

    fn command(&self) -> Command {
        let mut cmd = Command::new(&self.program);
        cmd.args(&self.args);
        for (k, v) in &self.env {
            match v {
                Some(v) => cmd.env(k, v),
                None => cmd.env_remove(k),
            };
        }
        if let Some(dir) = &self.dir {
            cmd.current_dir(dir);
        }
        cmd
    }
}

/// One supervised process.
struct Supervised {
    name: String,
    group: Group,
    recipe: Recipe,
    log: PathBuf,
    /// The running process; `None` while it waits to be started again.
    process: Option<ChildProcess>,
    started: Instant,
    /// Quick deaths in a row (sets the next delay).
    quick_deaths: u32,
    /// When it is due to start again.
    restart_at: Option<Instant>,
    restarts: u32,
}

/// The delay before the restart that follows `quick_deaths` quick deaths in a row.
fn delay(quick_deaths: u32) -> Duration {
    (FIRST_DELAY * (1u32 << quick_deaths.min(5))).min(MAX_DELAY)
}

/// Every process of `cargo xtask up`.
#[derive(Default)]
pub struct Supervisor {
    procs: Vec<Supervised>,
}

impl Supervisor {
    /// Starts `cmd` as `name`, its output appended to `log`, and keeps it running.
    pub fn spawn(&mut self, group: Group, name: &str, cmd: Command, log: &Path) -> Result<()> {
        let recipe = Recipe::of(&cmd);
        let process = ChildProcess::spawn(name, cmd, Some(log))?;
        self.procs.push(Supervised {
            name: name.to_string(),
            group,
            recipe,
            log: log.to_path_buf(),
            process: Some(process),
            started: Instant::now(),
            quick_deaths: 0,
            restart_at: None,
            restarts: 0,
        });
        Ok(())
    }

    /// Reaps dead processes and starts those that are due; returns what happened, as lines.
    fn tick(&mut self, now: Instant) -> Vec<String> {
        let mut events = Vec::new();
        for p in &mut self.procs {
            if let Some(status) = p.process.as_mut().and_then(ChildProcess::exited) {
                p.process = None;
                if now.duration_since(p.started) >= STABLE_AFTER {
                    p.quick_deaths = 0;
                }
                let wait = delay(p.quick_deaths);
                p.quick_deaths += 1;
                p.restart_at = Some(now + wait);
                events.push(format!("{} exited ({status}); starting it again in {} s", p.name, wait.as_secs()));
            }
            if p.restart_at.is_some_and(|t| t <= now) {
                p.restart_at = None;
                match ChildProcess::spawn(&p.name, p.recipe.command(), Some(&p.log)) {
                    Ok(process) => {
                        p.process = Some(process);
                        p.started = now;
                        p.restarts += 1;
                        events.push(format!("{} started again (restart {})", p.name, p.restarts));
                    }
                    Err(e) => {
                        let wait = delay(p.quick_deaths);
                        p.quick_deaths += 1;
                        p.restart_at = Some(now + wait);
                        events.push(format!("{} did not start ({e:#}); trying again in {} s", p.name, wait.as_secs()));
                    }
                }
            }
        }
        events
    }

    /// Keeps every process running until Ctrl-C or SIGTERM; returns which.
    pub async fn run(&mut self) -> String {
        use tokio::signal::unix::{SignalKind, signal};
        let (Ok(mut int), Ok(mut term)) = (signal(SignalKind::interrupt()), signal(SignalKind::terminate())) else {
            return "cannot listen for signals".into();
        };
        let mut tick = tokio::time::interval(Duration::from_millis(500));
        loop {
            tokio::select! {
                _ = int.recv() => return "Ctrl-C".into(),
                _ = term.recv() => return "SIGTERM".into(),
                _ = tick.tick() => {
                    for event in self.tick(Instant::now()) {
                        eprintln!("{event}");
                    }
                }
            }
        }
    }

    /// Stops every process, group by group (edges first).
    pub fn stop_all(&mut self) {
        self.procs.sort_by_key(|p| p.group);
        for p in &mut self.procs {
            if let Some(process) = p.process.as_mut() {
                let grace = if p.group == Group::Partner { Duration::from_secs(5) } else { Duration::from_secs(10) };
                process.stop_with(Signal::SIGTERM, grace);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_up_to_thirty_seconds() {
        let delays: Vec<u64> = (0..8).map(|n| delay(n).as_secs()).collect();
        assert_eq!(delays, [1, 2, 4, 8, 16, 30, 30, 30]);
    }

    #[test]
    fn a_recipe_makes_the_same_command_again() {
        let mut cmd = Command::new("core-server");
        cmd.args(["--region", "eu-west"]).env("SHOP_LOG", "info").env_remove("SHOP_SECRET").current_dir("/tmp");
        let again = Recipe::of(&cmd).command();
        assert_eq!(again.get_program(), "core-server");
        assert_eq!(again.get_args().collect::<Vec<_>>(), ["--region", "eu-west"]);
        let envs: Vec<_> = again.get_envs().collect();
        assert!(envs.contains(&("SHOP_LOG".as_ref(), Some("info".as_ref()))));
        assert!(envs.contains(&("SHOP_SECRET".as_ref(), None)));
        assert_eq!(again.get_current_dir(), Some(Path::new("/tmp")));
    }

    #[test]
    fn a_process_that_dies_is_started_again_and_the_others_keep_running() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("log");
        let mut s = Supervisor::default();
        let mut dies = Command::new("sh");
        dies.args(["-c", "exit 3"]);
        s.spawn(Group::Core, "dies", dies, &log).unwrap();
        let mut lives = Command::new("sleep");
        lives.arg("30");
        s.spawn(Group::Edge, "lives", lives, &log).unwrap();
        // Bounded wait for the first death to be seen.
        let t0 = Instant::now();
        let mut events = Vec::new();
        while events.is_empty() && t0.elapsed() < Duration::from_secs(10) {
            std::thread::sleep(Duration::from_millis(50));
            events = s.tick(Instant::now());
        }
        assert!(events[0].starts_with("dies exited"), "{events:?}");
        let later = s.tick(Instant::now() + Duration::from_millis(1_100));
        assert!(later.iter().any(|e| e.starts_with("dies started again")), "{later:?}");
        assert!(s.procs.iter().find(|p| p.name == "lives").unwrap().process.is_some(), "the others keep running");
        s.stop_all();
    }
}
