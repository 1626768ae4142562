#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| oci_token_fuzz::jwt(data));
