//! Clients of the services oci-token talks to: the auth service ([`auth`]), signed API calls
//! ([`api`]), the instance metadata service ([`imds`]), the OKE token ([`oke`]) and `OpenID
//! Connect` issuers ([`oidc`]), all over one bounded HTTPS transport ([`http`]).

pub mod api;
pub mod auth;
pub mod http;
pub mod imds;
pub mod oidc;
pub mod oke;
