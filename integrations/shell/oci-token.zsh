# oci-token prompt segment for zsh. Source it from ~/.zshrc:
#   source /path/to/oci-token.zsh
# It puts e.g. oci:my-session 42m in the right prompt while the active profile has a session.

autoload -Uz add-zsh-hook
setopt prompt_subst

__oci_token_precmd() {
  OCI_TOKEN_PROMPT=$(oci-token prompt 2>/dev/null)
}
add-zsh-hook precmd __oci_token_precmd

if [[ $RPROMPT != *OCI_TOKEN_PROMPT* ]]; then
  RPROMPT='${OCI_TOKEN_PROMPT}'"${RPROMPT:+ $RPROMPT}"
fi
