//! Calls AWS with the Rust SDK's default credential chain only, so the suite can watch a real Rust
//! application use the agent. Usage:
//!   podid-rust-client sts
//!   podid-rust-client put <bucket> <key>
//!   podid-rust-client loop <seconds> <count> sts|put <bucket> <key>
//! Each result is printed as one JSON line on stdout.

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_config::BehaviorVersion;
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextRef;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;

/// Remembers the access key of the last signed request (from its Authorization header).
#[derive(Debug, Clone, Default)]
struct SignedKey(Arc<Mutex<Option<String>>>);

impl Intercept for SignedKey {
    fn name(&self) -> &'static str {
        "SignedKey"
    }
    fn read_before_transmit(
        &self,
        ctx: &BeforeTransmitInterceptorContextRef<'_>,
        _rc: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let key = ctx
            .request()
            .headers()
            .get("authorization")
            .and_then(|h| h.split("Credential=").nth(1))
            .and_then(|rest| rest.split('/').next())
            .map(str::to_string);
        *self.0.lock().unwrap() = key;
        Ok(())
    }
}

fn quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn emit(action: &str, outcome: Result<(Option<String>, Option<String>), String>) {
    let at = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_millis();
    let body = match outcome {
        Ok((key, arn)) => {
            let mut s = String::from("\"ok\":true");
            if let Some(k) = key {
                s += &format!(",\"accessKeyId\":{}", quote(&k));
            }
            if let Some(a) = arn {
                s += &format!(",\"arn\":{}", quote(&a));
            }
            s
        }
        Err(e) => format!("\"ok\":false,\"error\":{}", quote(&e)),
    };
    println!("{{\"sdk\":\"rust\",\"action\":{},{},\"atMs\":{}}}", quote(action), body, at);
}

struct Clients {
    sts: aws_sdk_sts::Client,
    s3: aws_sdk_s3::Client,
    key: SignedKey,
}

async fn run(c: &Clients, action: &[String]) -> Result<(Option<String>, Option<String>), String> {
    let arn = match action.first().map(String::as_str) {
        Some("sts") => c
            .sts
            .get_caller_identity()
            .send()
            .await
            .map_err(|e| format!("{}", aws_smithy_types::error::display::DisplayErrorContext(e)))?
            .arn()
            .map(str::to_string),
        Some("put") if action.len() >= 3 => {
            c.s3.put_object()
                .bucket(&action[1])
                .key(&action[2])
                .body(aws_sdk_s3::primitives::ByteStream::from_static(b"written by the Rust SDK"))
                .send()
                .await
                .map_err(|e| format!("{}", aws_smithy_types::error::display::DisplayErrorContext(e)))?;
            None
        }
        _ => return Err(format!("unknown action {:?}", action)),
    };
    Ok((c.key.0.lock().unwrap().clone(), arn))
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.is_empty() {
        eprintln!("usage: podid-rust-client sts | put <bucket> <key> | loop <seconds> <count> <action...>");
        std::process::exit(2);
    }
    let cfg = aws_config::defaults(BehaviorVersion::latest()).load().await;
    let key = SignedKey::default();
    let clients = Clients {
        sts: aws_sdk_sts::Client::from_conf(
            aws_sdk_sts::config::Builder::from(&cfg).interceptor(key.clone()).build(),
        ),
        s3: aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(&cfg)
                .force_path_style(true)
                .interceptor(key.clone())
                .build(),
        ),
        key,
    };
    if args[0] != "loop" {
        let outcome = run(&clients, &args).await;
        let failed = outcome.is_err();
        emit(&args[0], outcome);
        std::process::exit(if failed { 1 } else { 0 });
    }
    if args.len() < 4 {
        eprintln!("loop needs <seconds> <count> <action...>");
        std::process::exit(2);
    }
    let seconds: f64 = args[1].parse().unwrap_or(1.0);
    let count: u32 = args[2].parse().unwrap_or(1);
    for i in 0..count {
        if i > 0 {
            tokio::time::sleep(Duration::from_secs_f64(seconds)).await;
        }
        let outcome = run(&clients, &args[3..]).await;
        emit(&args[3], outcome);
    }
}
