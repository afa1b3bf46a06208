//! Rendered manifests (the output of `helm template` or `kubectl kustomize`) and the parts of a
//! Deployment's container that a kubelet uses: its environment, resolved the way Kubernetes
//! resolves it (`envFrom` in order, then `env`, `valueFrom` read from the ConfigMaps and Secrets
//! of the same rendering), its ports, volume mounts, command and probes.

use base64::Engine as _;
use serde::Deserialize;
use serde_json::Value;

use crate::Error;

/// Every document of one rendering.
#[derive(Debug, Clone)]
pub struct Manifests {
    pub docs: Vec<Value>,
}

/// One container of a Deployment, as the kubelet would start it.
#[derive(Debug, Clone)]
pub struct Container {
    pub name: String,
    pub command: Vec<String>,
    pub args: Vec<String>,
    /// Name and value, in the order Kubernetes builds them; a later entry overrides an earlier.
    pub env: Vec<(String, String)>,
    pub ports: Vec<Port>,
    pub mounts: Vec<String>,
    pub startup: Option<Probe>,
    pub readiness: Option<Probe>,
    pub liveness: Option<Probe>,
    /// The pod template's labels (what Services select).
    pub pod_labels: Value,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Port {
    pub name: Option<String>,
    pub number: u16,
}

/// A probe's action and timing (seconds), as in `core/v1 Probe`.
#[derive(Debug, Clone)]
pub struct Probe {
    pub action: Action,
    pub period: u64,
    pub timeout: u64,
    pub failure_threshold: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Http { path: String, port: PortRef },
    Grpc { port: u16, service: String },
    Tcp { port: PortRef },
    Exec(Vec<String>),
}

/// A probe's port: a number or the name of a container port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PortRef {
    Number(u16),
    Name(String),
}

impl Manifests {
    /// Parses a multi-document YAML stream.
    pub fn parse(yaml: &str) -> Result<Self, Error> {
        let mut docs = Vec::new();
        for doc in serde_norway::Deserializer::from_str(yaml) {
            let value = Value::deserialize(doc).map_err(|e| Error::Manifest(e.to_string()))?;
            if !value.is_null() {
                docs.push(value);
            }
        }
        Ok(Self { docs })
    }

    /// The first document of `kind` whose name is `name`.
    pub fn find(&self, kind: &str, name: &str) -> Option<&Value> {
        self.docs
            .iter()
            .find(|d| d["kind"] == kind && d["metadata"]["name"] == name)
    }

    /// Mutable access, for tests that break a manifest on purpose.
    pub fn find_mut(&mut self, kind: &str, name: &str) -> Option<&mut Value> {
        self.docs
            .iter_mut()
            .find(|d| d["kind"] == kind && d["metadata"]["name"] == name)
    }

    /// The Deployment whose pods carry `app.kubernetes.io/component: component`.
    pub fn deployment(&self, component: &str) -> Result<&Value, Error> {
        self.docs
            .iter()
            .find(|d| {
                d["kind"] == "Deployment"
                    && d["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/component"]
                        == component
            })
            .ok_or_else(|| Error::Manifest(format!("no Deployment of component {component}")))
    }

    pub fn deployment_mut(&mut self, component: &str) -> Result<&mut Value, Error> {
        let name = self.deployment(component)?["metadata"]["name"].clone();
        let name = name.as_str().unwrap_or_default().to_owned();
        self.find_mut("Deployment", &name)
            .ok_or_else(|| Error::Manifest(format!("no Deployment {name}")))
    }

    /// The Deployment's only container, resolved.
    pub fn container(&self, component: &str) -> Result<Container, Error> {
        let pod = &self.deployment(component)?["spec"]["template"];
        let containers = pod["spec"]["containers"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let [c] = containers.as_slice() else {
            return Err(Error::Manifest(format!(
                "{component}: expected one container"
            )));
        };
        Ok(Container {
            name: str_of(&c["name"]),
            command: strings(&c["command"]),
            args: strings(&c["args"]),
            env: self.environment(c)?,
            ports: ports(&c["ports"])?,
            mounts: c["volumeMounts"]
                .as_array()
                .map(|m| m.iter().map(|v| str_of(&v["mountPath"])).collect())
                .unwrap_or_default(),
            startup: probe(&c["startupProbe"])?,
            readiness: probe(&c["readinessProbe"])?,
            liveness: probe(&c["livenessProbe"])?,
            pod_labels: pod["metadata"]["labels"].clone(),
        })
    }

    fn environment(&self, c: &Value) -> Result<Vec<(String, String)>, Error> {
        let mut env = Vec::new();
        for source in c["envFrom"].as_array().into_iter().flatten() {
            let prefix = str_of(&source["prefix"]);
            let data = if let Some(name) = source["configMapRef"]["name"].as_str() {
                self.data_of("ConfigMap", name)?
            } else if let Some(name) = source["secretRef"]["name"].as_str() {
                self.data_of("Secret", name)?
            } else {
                return Err(Error::Manifest(format!("unsupported envFrom {source}")));
            };
            env.extend(data.into_iter().map(|(k, v)| (format!("{prefix}{k}"), v)));
        }
        for var in c["env"].as_array().into_iter().flatten() {
            env.push((str_of(&var["name"]), self.value_of(var)?));
        }
        Ok(env)
    }

    fn value_of(&self, var: &Value) -> Result<String, Error> {
        let from = &var["valueFrom"];
        let (kind, key_ref) = match () {
            _ if from.is_null() => return Ok(str_of(&var["value"])),
            _ if from["secretKeyRef"].is_object() => ("Secret", &from["secretKeyRef"]),
            _ if from["configMapKeyRef"].is_object() => ("ConfigMap", &from["configMapKeyRef"]),
            _ => return Err(Error::Manifest(format!("unsupported valueFrom {from}"))),
        };
        let (name, key) = (str_of(&key_ref["name"]), str_of(&key_ref["key"]));
        let data = self.data_of(kind, &name)?;
        data.into_iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v)
            .ok_or_else(|| Error::Manifest(format!("{kind} {name} has no key {key}")))
    }

    /// A ConfigMap's or Secret's data, decoded.
    fn data_of(&self, kind: &str, name: &str) -> Result<Vec<(String, String)>, Error> {
        let doc = self
            .find(kind, name)
            .ok_or_else(|| Error::Manifest(format!("{kind} {name} is not in the rendering")))?;
        let mut out = Vec::new();
        for (k, v) in doc["data"].as_object().into_iter().flatten() {
            let text = str_of(v);
            let value = match kind {
                "Secret" => decode(&text).ok_or_else(|| {
                    Error::Manifest(format!("Secret {name} key {k} is not base64 UTF-8"))
                })?,
                _ => text,
            };
            out.push((k.clone(), value));
        }
        for (k, v) in doc["stringData"].as_object().into_iter().flatten() {
            out.push((k.clone(), str_of(v)));
        }
        Ok(out)
    }
}

impl Container {
    /// The container port a probe's port refers to.
    pub fn resolve(&self, port: &PortRef) -> Result<u16, Error> {
        let found = match port {
            PortRef::Number(n) => self.ports.iter().find(|p| p.number == *n),
            PortRef::Name(name) => self.ports.iter().find(|p| p.name.as_deref() == Some(name)),
        };
        found.map(|p| p.number).ok_or_else(|| {
            Error::Manifest(format!(
                "{}: probe port {port:?} is no container port",
                self.name
            ))
        })
    }

    /// The last value of an environment variable, as the process would see it.
    pub fn var(&self, name: &str) -> Option<&str> {
        self.env
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

fn decode(text: &str) -> Option<String> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text)
        .ok()?;
    String::from_utf8(bytes).ok()
}

fn str_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| a.iter().map(str_of).collect())
        .unwrap_or_default()
}

fn ports(v: &Value) -> Result<Vec<Port>, Error> {
    let mut out = Vec::new();
    for p in v.as_array().into_iter().flatten() {
        let number = p["containerPort"]
            .as_u64()
            .and_then(|n| u16::try_from(n).ok());
        let number = number.ok_or_else(|| Error::Manifest(format!("bad containerPort {p}")))?;
        out.push(Port {
            name: p["name"].as_str().map(str::to_owned),
            number,
        });
    }
    Ok(out)
}

fn port_ref(v: &Value) -> Result<PortRef, Error> {
    match v {
        Value::Number(n) => n
            .as_u64()
            .and_then(|n| u16::try_from(n).ok())
            .map(PortRef::Number)
            .ok_or_else(|| Error::Manifest(format!("bad probe port {v}"))),
        Value::String(s) => Ok(PortRef::Name(s.clone())),
        _ => Err(Error::Manifest(format!("bad probe port {v}"))),
    }
}

/// A probe with Kubernetes' defaults for the timing it leaves out.
fn probe(v: &Value) -> Result<Option<Probe>, Error> {
    if v.is_null() {
        return Ok(None);
    }
    let action = if v["httpGet"].is_object() {
        let path = v["httpGet"]["path"].as_str().unwrap_or("/").to_owned();
        Action::Http {
            path,
            port: port_ref(&v["httpGet"]["port"])?,
        }
    } else if v["grpc"].is_object() {
        let PortRef::Number(port) = port_ref(&v["grpc"]["port"])? else {
            return Err(Error::Manifest(
                "a gRPC probe's port must be a number".into(),
            ));
        };
        Action::Grpc {
            port,
            service: str_of(&v["grpc"]["service"]),
        }
    } else if v["tcpSocket"].is_object() {
        Action::Tcp {
            port: port_ref(&v["tcpSocket"]["port"])?,
        }
    } else {
        Action::Exec(strings(&v["exec"]["command"]))
    };
    let int = |key: &str, default: u64| v[key].as_u64().unwrap_or(default);
    Ok(Some(Probe {
        action,
        period: int("periodSeconds", 10),
        timeout: int("timeoutSeconds", 1),
        failure_threshold: int("failureThreshold", 3),
    }))
}
