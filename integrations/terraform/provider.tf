# The OCI provider with session-token auth. Run Terraform under `oci-token exec` so the
# token file stays fresh for the whole run:
#   oci-token exec --profile my-session -- terraform apply
provider "oci" {
  auth                = "SecurityToken"
  config_file_profile = "my-session"
  region              = "us-ashburn-1"
}
