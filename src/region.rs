//! Region → endpoint, as the Python SDK's `regions.endpoint_for` resolves it.
//! Pure: the region table, `~/.oci/regions-config.json` and `OCI_REGION_METADATA` are passed in.

use serde::Deserialize;

/// The realm and region table of the OCI Python SDK 2.189.0.
const TABLE: &str = include_str!("data/regions.json");

#[derive(Deserialize)]
struct Table {
    realms: std::collections::BTreeMap<String, String>,
    regions: Vec<TableRegion>,
}

#[derive(Deserialize)]
struct TableRegion {
    region: String,
    key: String,
    realm: String,
}

/// One entry of `regions-config.json` or `OCI_REGION_METADATA`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Metadata {
    realm_domain_component: String,
    region_key: String,
    region_identifier: String,
}

/// Extra region sources, as text (unparsed); each is optional.
#[derive(Debug, Default, Clone)]
pub(crate) struct Sources {
    /// Contents of `~/.oci/regions-config.json`: a JSON array of region objects.
    pub regions_config: Option<String>,
    /// `OCI_REGION_METADATA`: one JSON region object.
    pub region_metadata: Option<String>,
    /// `OCI_DEFAULT_REALM`: the second-level domain for unknown regions (else `oraclecloud.com`).
    pub default_realm: Option<String>,
}

/// The embedded table, parsed the first time a region is resolved (never on `get`'s fast
/// path) and then kept.
fn table() -> &'static Table {
    static PARSED: std::sync::OnceLock<Table> = std::sync::OnceLock::new();
    PARSED.get_or_init(|| {
        serde_json::from_str(TABLE).unwrap_or(Table {
            realms: std::collections::BTreeMap::default(),
            regions: vec![],
        })
    })
}

/// The regions `regions-config.json` and `OCI_REGION_METADATA` add, in lookup order.
fn extra(sources: &Sources) -> Vec<Metadata> {
    let mut out: Vec<Metadata> = Vec::new();
    if let Some(list) = sources
        .regions_config
        .as_deref()
        .and_then(|t| serde_json::from_str::<Vec<Metadata>>(t).ok())
    {
        out.extend(list);
    }
    if let Some(one) = sources
        .region_metadata
        .as_deref()
        .and_then(|t| serde_json::from_str::<Metadata>(t).ok())
    {
        out.push(one);
    }
    out
}

/// The region id for a region id or short key (`IAD` → `us-ashburn-1`), lower-cased;
/// unknown names (and dotted domains) are returned lower-cased.
#[must_use]
pub(crate) fn region_id(region: &str, sources: &Sources) -> String {
    let r = region.trim().to_lowercase();
    if let Some(x) = table().regions.iter().find(|x| x.key == r) {
        return x.region.clone();
    }
    extra(sources)
        .iter()
        .find(|m| m.region_key.to_lowercase() == r)
        .map_or(r, |m| m.region_identifier.to_lowercase())
}

/// [`region_id`], reading the region table and the user's region sources only for a short
/// key: an identifier (`us-ashburn-1`) or a domain names itself, lower-cased (no short key
/// of the table or of OCI's `regions-config.json` format holds a `-` or a `.`). The hot paths
/// (a cached `kube`) then never parse the table.
#[must_use]
pub(crate) fn resolve(region: &str, env: &dyn crate::sys::env::Env) -> String {
    if is_short_key(region.trim()) {
        region_id(region, &sources(env))
    } else {
        region.trim().to_lowercase()
    }
}

/// `regions-config.json`, `OCI_REGION_METADATA` and `OCI_DEFAULT_REALM`, read only when a
/// region must be resolved (the file: regular, at most 4 MiB).
#[must_use]
pub(crate) fn sources(env: &dyn crate::sys::env::Env) -> Sources {
    Sources {
        regions_config: crate::sys::store::read_text(
            &crate::sys::env::home_path(env, ".oci/regions-config.json"),
            crate::sys::store::MAX_SMALL,
        )
        .ok(),
        region_metadata: env.var("OCI_REGION_METADATA"),
        default_realm: env.var("OCI_DEFAULT_REALM"),
    }
}

/// Whether `region` looks like a short key (`iad`, `FRA`) rather than an identifier
/// (`us-ashburn-1`) or a domain: only then is resolving it worth reading the region sources.
#[must_use]
pub(crate) fn is_short_key(region: &str) -> bool {
    !region.is_empty() && !region.contains(['-', '.']) && region.len() <= 8
}

/// `https://<service>.<region>.<infix><domain>` (`infix` is e.g. `oci.` for identity); a
/// region containing a dot is taken as the whole domain.
#[must_use]
pub(crate) fn endpoint(service: &str, infix: &str, region: &str, sources: &Sources) -> String {
    let id = region_id(region, sources);
    if id.contains('.') {
        return format!("https://{service}.{id}");
    }
    let t = table();
    let domain = t
        .regions
        .iter()
        .find(|r| r.region == id)
        .and_then(|r| t.realms.get(&r.realm).cloned())
        .or_else(|| {
            extra(sources)
                .iter()
                .find(|m| m.region_identifier.to_lowercase() == id)
                .map(|m| m.realm_domain_component.to_lowercase())
        })
        .or_else(|| sources.default_realm.clone())
        .unwrap_or_else(|| "oraclecloud.com".to_owned());
    format!("https://{service}.{id}.{infix}{domain}")
}

/// The region of an OCIR registry host: `<region-key>.ocir.io` (the commercial realm's
/// short form) or `ocir.<region-id>.oci.<realm domain>` (every realm, custom ones from the
/// extra sources too). `None` for any other host.
#[must_use]
pub(crate) fn ocir_region(host: &str, sources: &Sources) -> Option<String> {
    let t = table();
    if let Some(key) = host.strip_suffix(".ocir.io")
        && !key.contains('.')
    {
        return t
            .regions
            .iter()
            .find(|r| r.key == key && r.realm == "oc1")
            .map(|r| r.region.clone())
            .or_else(|| {
                extra(sources)
                    .iter()
                    .find(|m| m.region_key.to_lowercase() == key)
                    .map(|m| m.region_identifier.to_lowercase())
            });
    }
    let rest = host.strip_prefix("ocir.")?;
    let (region, domain) = rest.split_once(".oci.")?;
    let in_table = t
        .regions
        .iter()
        .find(|r| r.region == region)
        .is_some_and(|r| t.realms.get(&r.realm).is_some_and(|d| d == domain));
    let in_extra = || {
        extra(sources).iter().any(|m| {
            m.region_identifier.to_lowercase() == region
                && m.realm_domain_component.to_lowercase() == domain
        })
    };
    (in_table || in_extra()).then(|| region.to_owned())
}

/// Whether `region_id` (already mapped from a short key) is in the table or the extra sources.
#[must_use]
pub(crate) fn is_known(region_id: &str, sources: &Sources) -> bool {
    table().regions.iter().any(|r| r.region == region_id)
        || extra(sources)
            .iter()
            .any(|m| m.region_identifier.to_lowercase() == region_id)
}

/// Whether `region_id` can name a region: known (the table, the extra sources), a dotted
/// domain, or shaped like a region identifier (`<letters>-<letters>…-<digits>`, so a region
/// newer than the table still works). `nowhere` or `us-ashburn` cannot, and would only show
/// up later as a network failure at `auth.nowhere.oraclecloud.com`.
#[must_use]
pub(crate) fn plausible(region_id: &str, sources: &Sources) -> bool {
    let shaped = || {
        let parts: Vec<&str> = region_id.split('-').collect();
        parts.len() >= 3
            && parts[..parts.len() - 1]
                .iter()
                .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
            && parts[parts.len() - 1].bytes().all(|b| b.is_ascii_digit())
            && !parts[parts.len() - 1].is_empty()
    };
    region_id.contains('.') || is_known(region_id, sources) || shaped()
}

/// The error for a region that cannot be one (see [`plausible`]), with the nearest known id
/// or key when it looks like a typo of one.
#[must_use]
pub(crate) fn unknown(given: &str, sources: &Sources) -> crate::error::Error {
    let t = table();
    let extra = extra(sources);
    let names = t
        .regions
        .iter()
        .flat_map(|r| [r.region.as_str(), r.key.as_str()])
        .chain(extra.iter().map(|m| m.region_identifier.as_str()));
    let near = crate::suggest::nearest(&given.trim().to_lowercase(), names)
        .map(|n| format!("did you mean '{n}'? "))
        .unwrap_or_default();
    crate::error::Error::Config(format!(
        "'{}' is not an OCI region; {near}(a region id such as us-ashburn-1 or a key such as iad; a region newer than oci-token goes in ~/.oci/regions-config.json)",
        given.escape_debug()
    ))
}

/// A region id that the table, `regions-config.json`, `OCI_REGION_METADATA` or a dotted
/// domain vouches for.
pub(crate) fn known(r: &str, env: &dyn crate::sys::env::Env) -> crate::error::Result<String> {
    let sources = sources(env);
    let id = region_id(r, &sources);
    if id.contains('.') || is_known(&id, &sources) {
        Ok(id)
    } else {
        Err(unknown(r, &sources))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn auth(region: &str, s: &Sources) -> String {
        endpoint("auth", "", region, s)
    }

    #[test]
    fn resolve_reads_the_table_for_short_keys_only() {
        let env = crate::sys::env::FakeEnv::new("/nonexistent", jiff::Timestamp::UNIX_EPOCH);
        assert_eq!(resolve("IAD", &env), "us-ashburn-1");
        assert_eq!(resolve(" US-Ashburn-1 ", &env), "us-ashburn-1");
        assert_eq!(resolve("region.example.com", &env), "region.example.com");
        for r in [
            "iad",
            "fra",
            "us-ashburn-1",
            "eu-frankfurt-1",
            "nowhere",
            "a.b",
        ] {
            assert_eq!(resolve(r, &env), region_id(r, &sources(&env)), "{r}");
        }
    }

    #[test]
    fn table_and_short_keys() {
        let s = Sources::default();
        assert_eq!(
            auth("us-ashburn-1", &s),
            "https://auth.us-ashburn-1.oraclecloud.com"
        );
        assert_eq!(auth("IAD", &s), "https://auth.us-ashburn-1.oraclecloud.com");
        assert_eq!(
            auth("lfi", &s),
            "https://auth.us-langley-1.oraclegovcloud.com"
        );
        assert_eq!(
            auth("ltn", &s),
            "https://auth.uk-gov-london-1.oraclegovcloud.uk"
        );
        assert_eq!(
            auth("str", &s),
            "https://auth.eu-frankfurt-2.oraclecloud.eu"
        );
        assert_eq!(
            endpoint("identity", "oci.", "fra", &s),
            "https://identity.eu-frankfurt-1.oci.oraclecloud.com"
        );
    }

    #[test]
    fn ocir_hosts() {
        let s = Sources::default();
        assert_eq!(
            ocir_region("iad.ocir.io", &s).as_deref(),
            Some("us-ashburn-1")
        );
        assert_eq!(
            ocir_region("fra.ocir.io", &s).as_deref(),
            Some("eu-frankfurt-1")
        );
        assert_eq!(
            ocir_region("ocir.us-phoenix-1.oci.oraclecloud.com", &s).as_deref(),
            Some("us-phoenix-1")
        );
        for not_ocir in [
            "docker.io",
            "zzz.ocir.io",
            "a.iad.ocir.io",
            "ocir.us-phoenix-1.oci.example.com",
            "ocir.nowhere-1.oci.oraclecloud.com",
            "ocir.io",
        ] {
            assert_eq!(ocir_region(not_ocir, &s), None, "{not_ocir}");
        }
        let custom = Sources {
            region_metadata: Some(
                r#"{"realmKey":"oc99","realmDomainComponent":"example.org","regionKey":"xyz","regionIdentifier":"xx-custom-1"}"#.into(),
            ),
            ..Sources::default()
        };
        assert_eq!(
            ocir_region("ocir.xx-custom-1.oci.example.org", &custom).as_deref(),
            Some("xx-custom-1")
        );
    }

    #[test]
    fn region_ids() {
        let s = Sources::default();
        assert_eq!(region_id("IAD", &s), "us-ashburn-1");
        assert_eq!(region_id("us-phoenix-1", &s), "us-phoenix-1");
        assert_eq!(region_id("Xx-New-1", &s), "xx-new-1");
    }

    #[test]
    fn dotted_region_is_the_domain() {
        let s = Sources::default();
        assert_eq!(
            auth("localtest.internal:8443", &s),
            "https://auth.localtest.internal:8443"
        );
    }

    #[test]
    fn metadata_and_config_file() {
        let one = r#"{"realmKey":"oc99","realmDomainComponent":"oci-test.internal:8443","regionKey":"TST","regionIdentifier":"test-region-1"}"#;
        let s = Sources {
            region_metadata: Some(one.into()),
            ..Default::default()
        };
        assert_eq!(
            auth("test-region-1", &s),
            "https://auth.test-region-1.oci-test.internal:8443"
        );
        assert_eq!(
            auth("TST", &s),
            "https://auth.test-region-1.oci-test.internal:8443"
        );
        let s = Sources {
            regions_config: Some(format!("[{one}]")),
            ..Default::default()
        };
        assert_eq!(
            auth("tst", &s),
            "https://auth.test-region-1.oci-test.internal:8443"
        );
    }

    #[test]
    fn unknown_region_defaults_to_oc1_or_env_realm() {
        assert_eq!(
            auth("xx-new-1", &Sources::default()),
            "https://auth.xx-new-1.oraclecloud.com"
        );
        let s = Sources {
            default_realm: Some("example.org".into()),
            ..Default::default()
        };
        assert_eq!(auth("xx-new-1", &s), "https://auth.xx-new-1.example.org");
    }

    #[test]
    fn every_table_region_resolves_in_its_realm() {
        let t = table();
        assert_eq!(t.regions.len(), 85);
        for r in &t.regions {
            let want = format!("https://auth.{}.{}", r.region, t.realms[&r.realm]);
            assert_eq!(auth(&r.key, &Sources::default()), want);
            assert_eq!(auth(&r.region, &Sources::default()), want);
        }
    }
}
