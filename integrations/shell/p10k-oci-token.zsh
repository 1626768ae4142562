# oci-token segment for powerlevel10k. Source it from ~/.zshrc after p10k, then add
# `oci_token` to POWERLEVEL9K_RIGHT_PROMPT_ELEMENTS (or the left ones).
#   source /path/to/p10k-oci-token.zsh

function prompt_oci_token() {
  local seg
  seg=$(oci-token prompt --format '{profile} {remaining}' 2>/dev/null) || return
  [[ -n $seg ]] || return
  local color=208
  [[ $seg == *expired ]] && color=160
  p10k segment -f $color -i '☁' -t "$seg"
}

# Instant prompt shows the same segment.
function instant_prompt_oci_token() {
  prompt_oci_token
}

# Show it only while typing commands that use OCI credentials (delete to show it always).
typeset -g POWERLEVEL9K_OCI_TOKEN_SHOW_ON_COMMAND='oci|oci-token|kubectl|k9s|helm|terraform|tofu'
