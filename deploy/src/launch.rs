//! Starts a container's process on this machine as the kubelet would start it in a pod: the
//! image's entrypoint (or the manifest's command) with the image's environment overlaid by the
//! manifest's, and nothing inherited from the test's own environment.
//!
//! What cannot be the same here is substituted, and only that ([`Substitutions`]): container
//! ports become free local ports (pods have a network namespace each; here every process shares
//! one), container paths become local directories (volumes, and the models baked into the
//! image), and named variables whose cluster addresses would not resolve here get local ones.
//! Substituted port numbers are what make a disagreeing variable name visible: a binary that does
//! not read the chart's variable listens on its own default, where no probe looks.

use std::{
    collections::HashMap,
    path::{Path, PathBuf},
    process::{ExitStatus, Stdio},
    time::{Duration, Instant},
};

use tokio::process::{Child, Command};

use crate::{
    Error,
    dockerfile::Image,
    manifest::{Action, Container, Probe},
    probe::{self, Outcome, Target},
};

/// The PATH of the runtime images (distroless and Ubuntu alike).
const IMAGE_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// What differs between the cluster and this machine, and nothing else.
#[derive(Debug, Clone, Default)]
pub struct Substitutions {
    /// Container port to local port.
    pub ports: HashMap<u16, u16>,
    /// Container path prefix to local path (volumes; files baked into the image).
    pub paths: Vec<(String, PathBuf)>,
    /// Variables set to local values after everything else, e.g. a cluster DNS name.
    pub overrides: Vec<(String, String)>,
}

/// A started container: its process, its manifest, and where its ports landed.
#[derive(Debug)]
pub struct Pod {
    pub name: String,
    pub container: Container,
    pub ports: HashMap<u16, u16>,
    pub env: Vec<(String, String)>,
    pub log: PathBuf,
    child: Child,
}

/// The process environment: image `ENV`, then the manifest's `env`, with substitutions.
pub fn environment(image: &Image, c: &Container, subs: &Substitutions) -> Vec<(String, String)> {
    let mut env: Vec<(String, String)> = vec![("PATH".into(), IMAGE_PATH.into())];
    for (k, v) in image.env.iter().chain(c.env.iter()) {
        env.retain(|(name, _)| name != k);
        env.push((k.clone(), rewrite(v, subs)));
    }
    for (k, v) in &subs.overrides {
        env.retain(|(name, _)| name != k);
        env.push((k.clone(), v.clone()));
    }
    env
}

/// A value with container ports and paths replaced by their local counterparts.
fn rewrite(value: &str, subs: &Substitutions) -> String {
    let mut out = value.to_owned();
    // One rewrite at most: a local port may equal another container's port number.
    for (container, local) in &subs.ports {
        if out == container.to_string() {
            out = local.to_string();
            break;
        }
        if let Some(head) = out.strip_suffix(&format!(":{container}")) {
            out = format!("{head}:{local}");
            break;
        }
    }
    for (prefix, local) in &subs.paths {
        let local = local.display().to_string();
        if out.ends_with(prefix.as_str()) {
            out = format!("{}{local}", &out[..out.len() - prefix.len()]);
        }
        out = out.replace(&format!("{prefix}/"), &format!("{local}/"));
    }
    out
}

/// Kubernetes' rule: `command` replaces the entrypoint (and drops CMD); `args` replaces CMD.
fn argv(image: &Image, c: &Container) -> Vec<String> {
    let (mut argv, default_args) = match c.command.is_empty() {
        true => (image.entrypoint.clone(), image.cmd.clone()),
        false => (c.command.clone(), Vec::new()),
    };
    argv.extend(if c.args.is_empty() {
        default_args
    } else {
        c.args.clone()
    });
    argv
}

impl Pod {
    /// Starts `c`, its executable looked up by file name in `bin_dir` (the cargo build output).
    pub fn start(
        image: &Image,
        c: &Container,
        subs: &Substitutions,
        bin_dir: &Path,
        workdir: &Path,
    ) -> Result<Self, Error> {
        let argv = argv(image, c);
        let exe = argv
            .first()
            .ok_or_else(|| Error::Launch(format!("{}: no command", c.name)))?;
        let file = Path::new(exe).file_name().unwrap_or_default();
        let local_exe = bin_dir.join(file);
        if !local_exe.is_file() {
            return Err(Error::Launch(format!(
                "{exe}: no {} here",
                local_exe.display()
            )));
        }
        let env = environment(image, c, subs);
        let log = workdir.join(format!("{}.log", c.name));
        let out = std::fs::File::create(&log).map_err(|e| Error::Launch(e.to_string()))?;
        let err = out.try_clone().map_err(|e| Error::Launch(e.to_string()))?;
        let child = Command::new(&local_exe)
            .args(&argv[1..])
            .env_clear()
            .envs(env.iter().cloned())
            .current_dir(workdir)
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| Error::Launch(format!("{}: {e}", local_exe.display())))?;
        let name = c.name.clone();
        Ok(Self {
            name,
            container: c.clone(),
            ports: subs.ports.clone(),
            env,
            log,
            child,
        })
    }

    /// The local port a container port was mapped to.
    pub fn local_port(&self, container_port: u16) -> Result<u16, Error> {
        self.ports
            .get(&container_port)
            .copied()
            .ok_or_else(|| Error::Launch(format!("{}: port {container_port} unmapped", self.name)))
    }

    /// A probe's action, aimed at this machine.
    pub fn target(&self, action: &Action) -> Result<Target, Error> {
        let local = |port| {
            self.container
                .resolve(port)
                .and_then(|p| self.local_port(p))
        };
        match action {
            Action::Http { path, port } => Ok(Target::Http {
                port: local(port)?,
                path: path.clone(),
            }),
            Action::Tcp { port } => Ok(Target::Tcp { port: local(port)? }),
            Action::Grpc { port, service } => {
                let port = local(&crate::manifest::PortRef::Number(*port))?;
                Ok(Target::Grpc {
                    port,
                    service: service.clone(),
                })
            }
            Action::Exec(cmd) => Err(Error::Launch(format!("exec probes unsupported: {cmd:?}"))),
        }
    }

    /// One attempt of `probe`.
    pub async fn probe(&self, probe: &Probe) -> Outcome {
        let target = self.target(&probe.action).map_err(|e| e.to_string())?;
        probe::attempt(&target, Duration::from_secs(probe.timeout)).await
    }

    /// Polls `probe` until it succeeds, within its own budget (periodSeconds x failureThreshold,
    /// what a startup probe allows) or `cap` if shorter; fails early if the process exits.
    pub async fn wait_for(&mut self, probe: &Probe, cap: Duration) -> Result<Duration, String> {
        let budget = Duration::from_secs(probe.period * probe.failure_threshold).min(cap);
        let started = Instant::now();
        loop {
            let last = match self.probe(probe).await {
                Ok(()) => return Ok(started.elapsed()),
                Err(why) => why,
            };
            if let Some(status) = self.exited() {
                return Err(format!(
                    "{} exited ({status}) before {:?} passed: {last}\n{}",
                    self.name,
                    probe.action,
                    self.log_tail()
                ));
            }
            if started.elapsed() > budget {
                return Err(format!(
                    "{} not passing {:?} after {budget:?}: {last}\n{}",
                    self.name,
                    probe.action,
                    self.log_tail()
                ));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The exit status, if the process has ended.
    pub fn exited(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().ok().flatten()
    }

    /// The last lines of the process's output, for failure messages.
    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        let tail = &lines[lines.len().saturating_sub(15)..];
        format!("--- last lines of {} ---\n{}", self.name, tail.join("\n"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn subs() -> Substitutions {
        Substitutions {
            ports: HashMap::from([(50051, 41000), (5001, 42000)]),
            paths: vec![("/app/data".into(), PathBuf::from("/tmp/x"))],
            overrides: vec![("INFERENCE_URL".into(), "http://127.0.0.1:41000".into())],
        }
    }

    #[test]
    fn rewrites_ports_and_paths_but_not_lookalikes() {
        let s = subs();
        assert_eq!(rewrite("0.0.0.0:50051", &s), "0.0.0.0:41000");
        assert_eq!(rewrite("5001", &s), "42000");
        assert_eq!(rewrite("150051", &s), "150051");
        assert_eq!(
            rewrite("sqlite:///app/data/m.db?mode=rwc", &s),
            "sqlite:///tmp/x/m.db?mode=rwc"
        );
        assert_eq!(rewrite("/app/database", &s), "/app/database");
    }

    #[test]
    fn manifest_env_overrides_image_env_and_overrides_win() {
        let image = Image {
            env: vec![("APP_ENV".into(), "production".into())],
            ..Image::default()
        };
        let c = Container {
            name: "gateway".into(),
            command: vec![],
            args: vec![],
            env: vec![
                ("APP_ENV".into(), "staging".into()),
                ("INFERENCE_URL".into(), "x".into()),
            ],
            ports: vec![],
            mounts: vec![],
            startup: None,
            readiness: None,
            liveness: None,
            pod_labels: serde_json::Value::Null,
        };
        let env = environment(&image, &c, &subs());
        let get = |k: &str| env.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        assert_eq!(get("APP_ENV"), Some("staging"));
        assert_eq!(get("INFERENCE_URL"), Some("http://127.0.0.1:41000"));
    }
}
