//! The gateway's one integration-test binary: each module drives real gateways (see
//! `helpers`) over HTTP, against SQLite, PostgreSQL and the real inference binary.

mod helpers;

mod assessments;
mod balancing;
mod cache;
mod connection;
mod contract;
mod drills;
mod errors;
mod explain;
mod health;
mod history;
mod insights;
mod isolation;
mod journey;
mod limits;
mod metrics;
mod oauth;
mod outage;
mod predict;
mod production;
mod sessions;
mod storage;
mod tokens;
mod users;
mod validation;
mod web;
