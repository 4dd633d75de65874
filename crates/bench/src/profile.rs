//! `--perf`: a system-wide `perf record` (software clock, so it works in VMs without hardware
//! counters) around a phase, summarised as where the CPU went by process name and the server's
//! (and PostgreSQL's) hottest functions.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// A running `perf record`.
pub struct Profile {
    child: Child,
    data: PathBuf,
}

impl Profile {
    /// Starts `perf record -a` into `data`; `None` (with a note) when perf cannot run.
    pub fn start(data: &Path) -> Option<Profile> {
        if let Some(dir) = data.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        let child = Command::new("perf")
            .args(["record", "-e", "cpu-clock", "-F", "499", "-a", "-g", "-o"])
            .arg(data)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
        match child {
            Ok(child) => {
                // Let perf open its events before the phase starts.
                std::thread::sleep(std::time::Duration::from_millis(500));
                Some(Profile {
                    child,
                    data: data.to_owned(),
                })
            }
            Err(e) => {
                eprintln!("note: no profile, perf did not start: {e}");
                None
            }
        }
    }

    /// Stops the recording and summarises it: CPU by process name (the bench's own threads
    /// are `bench-client`), then the hottest symbols of the server process `server_pid`, and
    /// of PostgreSQL's backends when `postgres`.
    pub fn finish(mut self, title: &str, server_pid: u32, postgres: bool) -> String {
        let _ = Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
        let data = self.data.display().to_string();
        let report = |extra: &[&str], limit: usize| {
            let out = Command::new("perf")
                .args([
                    "report",
                    "-i",
                    &data,
                    "--stdio",
                    "-g",
                    "none",
                    "--no-children",
                ])
                .args(extra)
                .output();
            match out {
                Ok(o) => String::from_utf8_lossy(&o.stdout)
                    .lines()
                    .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
                    .take(limit)
                    .collect::<Vec<_>>()
                    .join("\n"),
                Err(e) => format!("perf report failed: {e}"),
            }
        };
        let mut s = format!("#### Profile: {title} (`{data}`)\n\n");
        s.push_str("CPU samples by process name, all processes (2 cores):\n\n```\n");
        s.push_str(&report(&["--sort", "comm", "--percent-limit", "1"], 12));
        s.push_str("\n```\n\nThe server process, by function (share of its samples):\n\n```\n");
        let pid = server_pid.to_string();
        s.push_str(&report(
            &[
                "--pid",
                &pid,
                "--sort",
                "dso,sym",
                "--percent-limit",
                "1",
                "--percentage",
                "relative",
            ],
            25,
        ));
        s.push_str("\n```\n");
        if postgres {
            s.push_str("\nPostgreSQL backends, by function (share of their samples):\n\n```\n");
            s.push_str(&report(
                &[
                    "--comms",
                    "postgres",
                    "--sort",
                    "dso,sym",
                    "--percent-limit",
                    "2",
                    "--percentage",
                    "relative",
                ],
                15,
            ));
            s.push_str("\n```\n");
        }
        s
    }
}
