//! Clients of the services oci-token talks to: the auth service ([`auth`]), signed API calls
//! ([`api`]), the instance metadata service ([`imds`]), the OKE token ([`oke`]) and `OpenID
//! Connect` issuers ([`oidc`]), all over one bounded HTTPS transport ([`http`]).

pub(crate) mod api;
pub(crate) mod auth;
pub(crate) mod http;
pub(crate) mod imds;
pub(crate) mod oidc;
pub mod oke;
