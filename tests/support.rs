//! Spawning `cairn server` on a temporary store and a tiny blocking REST
//! client for it.

use std::io::Read;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// A `cairn server` child process over a store directory that outlives it.
pub(crate) struct Server {
    child: Option<Child>,
    dir: PathBuf,
    log: PathBuf,
    pub(crate) base: String,
    pub(crate) agent: ureq::Agent,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("no free port")
}

/// An HTTP agent that returns 4xx/5xx as responses, not errors.
pub(crate) fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(60)))
        .build()
        .into()
}

impl Server {
    /// Start a server whose database and artifacts live in `dir`; the log of
    /// each start is appended to `dir/server-<n>.log`.
    pub(crate) fn start(dir: &Path) -> Server {
        let port = free_port();
        let n = std::fs::read_dir(dir)
            .map(|d| {
                d.filter_map(Result::ok)
                    .filter(|e| e.file_name().to_string_lossy().starts_with("server-"))
                    .count()
            })
            .unwrap_or(0);
        let log = dir.join(format!("server-{n}.log"));
        let log_file = std::fs::File::create(&log).expect("create server log");
        let child = Command::new(env!("CARGO_BIN_EXE_cairn"))
            .args(["server", "--host", "127.0.0.1", "--port"])
            .arg(port.to_string())
            .arg("--backend-store-uri")
            .arg(format!("sqlite:///{}", dir.join("cairn.db").display()))
            .arg("--artifacts-destination")
            .arg(dir.join("artifacts"))
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(log_file.try_clone().expect("clone log handle"))
            .stderr(log_file)
            .spawn()
            .expect("spawn cairn server");
        let mut server = Server {
            child: Some(child),
            dir: dir.to_path_buf(),
            log,
            base: format!("http://127.0.0.1:{port}"),
            agent: agent(),
        };
        server.wait_ready();
        server
    }

    fn wait_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if let Some(status) = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten())
            {
                panic!("cairn server exited early ({status}):\n{}", self.log_text());
            }
            if let Ok(r) = self.agent.get(format!("{}/health", self.base)).call()
                && r.status() == 200
            {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("cairn server not ready after 60 s:\n{}", self.log_text());
    }

    pub(crate) fn pid(&self) -> u32 {
        self.child.as_ref().expect("server not running").id()
    }

    pub(crate) fn dir(&self) -> &Path {
        &self.dir
    }

    /// Everything the server printed in this start.
    pub(crate) fn log_text(&self) -> String {
        let mut s = String::new();
        if let Ok(mut f) = std::fs::File::open(&self.log) {
            let _ = f.read_to_string(&mut s);
        }
        s
    }

    /// SIGKILL: no chance to flush anything.
    pub(crate) fn kill_9(&mut self) {
        let mut child = self.child.take().expect("server not running");
        child.kill().expect("kill -9");
        child.wait().expect("reap killed server");
    }

    /// SIGTERM through `kill`, then wait (bounded) for the exit status.
    pub(crate) fn terminate(&mut self) -> ExitStatus {
        let mut child = self.child.take().expect("server not running");
        let ok = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(ok.success(), "kill -TERM failed");
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = child.try_wait().expect("wait for server") {
                return status;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "server did not exit within 30 s of SIGTERM:\n{}",
                    self.log_text()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}/api/2.0/mlflow/{path}", self.base)
    }

    /// POST JSON; `(status, body)`.
    pub(crate) fn post(&self, path: &str, body: &Value) -> Result<(u16, Value), ureq::Error> {
        post(&self.agent, &self.url(path), body)
    }

    /// GET with query pairs; `(status, body)`.
    pub(crate) fn get(&self, path: &str, query: &[(&str, &str)]) -> (u16, Value) {
        let mut req = self.agent.get(self.url(path));
        for (k, v) in query {
            req = req.query(*k, *v);
        }
        let mut r = req.call().expect("GET failed");
        let status = r.status().as_u16();
        let bytes = r
            .body_mut()
            .with_config()
            .limit(1 << 30)
            .read_to_vec()
            .expect("read body");
        (status, serde_json::from_slice(&bytes).expect("JSON body"))
    }

    /// POST that must succeed; returns the body.
    pub(crate) fn ok(&self, path: &str, body: &Value) -> Value {
        let (status, v) = self.post(path, body).expect("request failed");
        assert_eq!(status, 200, "{path}: {v}");
        v
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// POST a JSON body with `agent`; `(status, body)`.
pub(crate) fn post(
    agent: &ureq::Agent,
    url: &str,
    body: &Value,
) -> Result<(u16, Value), ureq::Error> {
    let mut r = agent
        .post(url)
        .header("Content-Type", "application/json")
        .send(serde_json::to_vec(body).expect("encode"))?;
    let status = r.status().as_u16();
    let text = r.body_mut().read_to_string()?;
    let v = if text.trim().is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    };
    Ok((status, v))
}
