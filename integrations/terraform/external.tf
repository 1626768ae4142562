# Session details (and optionally an OKE token) for use elsewhere in the configuration.
data "external" "oci_session" {
  program = ["oci-token", "terraform"]
  query = {
    profile   = "my-session"
    min_valid = "45m"
    # cluster_id = oci_containerengine_cluster.this.id
  }
}

output "oci_session_expires_at" {
  value = data.external.oci_session.result.expires_at
}
