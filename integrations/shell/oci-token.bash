# oci-token prompt segment for bash. Source it from ~/.bashrc:
#   source /path/to/oci-token.bash
# It shows e.g. [oci:my-session 42m] before your prompt while the active profile
# (OCI_CLI_PROFILE, else the oci_cli_rc default, else DEFAULT) has a session.

__oci_token_prompt() {
  OCI_TOKEN_PS1=$(oci-token prompt 2>/dev/null)
}

# Zero-exec variant: after `eval "$(oci-token env)"`, the remaining time comes from
# OCI_TOKEN_EXPIRES_EPOCH and bash's EPOCHSECONDS (bash 5), without running anything.
__oci_token_prompt_from_env() {
  OCI_TOKEN_PS1=
  [ -n "${OCI_TOKEN_EXPIRES_EPOCH:-}" ] || return 0
  local left=$(( OCI_TOKEN_EXPIRES_EPOCH - ${EPOCHSECONDS:-$(date +%s)} ))
  if [ "$left" -le 0 ]; then
    OCI_TOKEN_PS1="oci:${OCI_CLI_PROFILE:-DEFAULT} expired"
  elif [ "$left" -ge 3600 ]; then
    OCI_TOKEN_PS1=$(printf 'oci:%s %dh%02dm' "${OCI_CLI_PROFILE:-DEFAULT}" $((left / 3600)) $((left % 3600 / 60)))
  elif [ "$left" -ge 60 ]; then
    OCI_TOKEN_PS1="oci:${OCI_CLI_PROFILE:-DEFAULT} $((left / 60))m"
  else
    OCI_TOKEN_PS1="oci:${OCI_CLI_PROFILE:-DEFAULT} ${left}s"
  fi
}

case ";${PROMPT_COMMAND:-};" in
  *";__oci_token_prompt;"*) ;;
  *) PROMPT_COMMAND="__oci_token_prompt${PROMPT_COMMAND:+;$PROMPT_COMMAND}" ;;
esac
case "$PS1" in
  *OCI_TOKEN_PS1*) ;;
  *) PS1='${OCI_TOKEN_PS1:+[$OCI_TOKEN_PS1] }'"$PS1" ;;
esac
