//! What an image built from one of our Dockerfiles starts with: the target stage's
//! `ENTRYPOINT`, `CMD`, `ENV`, `WORKDIR` and `COPY`'d paths, inherited through `FROM <stage>`.
//! Enough of the Dockerfile syntax for ours (JSON-form ENTRYPOINT/CMD, `ENV k=v` pairs, line
//! continuations); anything else in a stage we read is an error rather than a guess.

use std::collections::HashMap;

use crate::Error;

/// The runtime view of one build target.
#[derive(Debug, Clone, Default)]
pub struct Image {
    pub entrypoint: Vec<String>,
    pub cmd: Vec<String>,
    pub env: Vec<(String, String)>,
    pub workdir: Option<String>,
    /// `COPY <source in the build context> <destination in the image>`, sources from the
    /// context only (not `--from` another stage).
    pub context_copies: Vec<(String, String)>,
}

/// Reads the image that `docker build --target <target>` would produce.
pub fn image(dockerfile: &str, target: &str) -> Result<Image, Error> {
    let stages = stages(dockerfile)?;
    let mut chain = Vec::new();
    let mut name = target.to_owned();
    while let Some((parent, body)) = stages.get(&name) {
        chain.push(body);
        name = parent.clone();
    }
    if chain.is_empty() {
        return Err(Error::Dockerfile(format!("no stage named {target}")));
    }
    let mut image = Image::default();
    for body in chain.iter().rev() {
        for instruction in body.iter() {
            apply(&mut image, instruction)?;
        }
    }
    Ok(image)
}

/// Stage name to (base, instructions), continuation lines joined, comments dropped.
fn stages(text: &str) -> Result<HashMap<String, (String, Vec<String>)>, Error> {
    let mut out = HashMap::new();
    let mut current: Option<(String, String, Vec<String>)> = None;
    for line in logical_lines(text) {
        let upper = line.to_ascii_uppercase();
        if upper.starts_with("FROM ") {
            if let Some((name, base, body)) = current.take() {
                out.insert(name, (base, body));
            }
            let words: Vec<&str> = line.split_whitespace().collect();
            let (base, name) = match words.as_slice() {
                [_, base, as_, name] if as_.eq_ignore_ascii_case("as") => (*base, *name),
                [_, base] => (*base, *base),
                _ => return Err(Error::Dockerfile(format!("cannot read {line}"))),
            };
            current = Some((name.to_owned(), base.to_owned(), Vec::new()));
        } else if let Some((_, _, body)) = current.as_mut() {
            body.push(line);
        }
    }
    if let Some((name, base, body)) = current {
        out.insert(name, (base, body));
    }
    Ok(out)
}

fn logical_lines(text: &str) -> Vec<String> {
    let mut lines = Vec::new();
    let mut pending = String::new();
    for raw in text.lines() {
        let trimmed = raw.trim();
        if trimmed.starts_with('#') || (trimmed.is_empty() && pending.is_empty()) {
            continue;
        }
        match trimmed.strip_suffix('\\') {
            Some(head) => {
                pending.push_str(head);
                pending.push(' ');
            }
            None => {
                pending.push_str(trimmed);
                lines.push(std::mem::take(&mut pending));
            }
        }
    }
    lines
}

fn apply(image: &mut Image, line: &str) -> Result<(), Error> {
    let (word, rest) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
    let rest = rest.trim();
    match word.to_ascii_uppercase().as_str() {
        "ENTRYPOINT" => {
            image.entrypoint = json_words(rest)?;
            image.cmd.clear(); // Docker resets CMD when a stage sets ENTRYPOINT.
        }
        "CMD" => image.cmd = json_words(rest)?,
        "WORKDIR" => image.workdir = Some(rest.to_owned()),
        "ENV" => image.env.extend(env_pairs(rest)?),
        "COPY" => {
            let words: Vec<&str> = rest.split_whitespace().collect();
            if !words.iter().any(|w| w.starts_with("--from")) {
                let paths: Vec<&str> = words.into_iter().filter(|w| !w.starts_with("--")).collect();
                if let [src, dest] = paths.as_slice() {
                    image
                        .context_copies
                        .push(((*src).to_owned(), (*dest).to_owned()));
                }
            }
        }
        _ => {}
    }
    Ok(())
}

fn json_words(rest: &str) -> Result<Vec<String>, Error> {
    serde_json::from_str(rest)
        .map_err(|_| Error::Dockerfile(format!("ENTRYPOINT/CMD must be JSON form: {rest}")))
}

/// `A=1 B="two"`: the `key=value` form only (the legacy `ENV key value` form is refused).
fn env_pairs(rest: &str) -> Result<Vec<(String, String)>, Error> {
    rest.split_whitespace()
        .map(|pair| {
            let (k, v) = pair
                .split_once('=')
                .ok_or_else(|| Error::Dockerfile(format!("ENV needs key=value: {pair}")))?;
            Ok((k.to_owned(), v.trim_matches('"').to_owned()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = r#"
FROM rust AS builder
RUN cargo build
FROM distroless AS base
WORKDIR /app
ENV A=1 \
    B="two"
ENTRYPOINT ["/usr/local/bin/x"]
FROM base AS models
COPY --from=builder /out /out
COPY --chown=0:0 models/a /models/a
"#;

    #[test]
    fn a_stage_inherits_its_parents_entrypoint_env_and_workdir() {
        let image = image(FILE, "models").unwrap();
        assert_eq!(image.entrypoint, ["/usr/local/bin/x"]);
        assert_eq!(
            image.env,
            [("A".into(), "1".into()), ("B".into(), "two".into())]
        );
        assert_eq!(image.workdir.as_deref(), Some("/app"));
        assert_eq!(
            image.context_copies,
            [("models/a".into(), "/models/a".into())]
        );
    }

    #[test]
    fn an_unknown_target_is_an_error() {
        assert!(image(FILE, "nope").is_err());
    }
}
