//! Keys and signatures: PEM keys in every form the oci CLI reads ([`key`]), new key pairs
//! ([`keygen`]), request signing ([`sign`]), and the DER and X.509 reading that principals
//! need ([`x509`], by the `x509-cert` crate).

pub mod key;
pub(crate) mod keygen;
pub mod sign;
pub mod x509;
