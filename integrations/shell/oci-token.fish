# oci-token prompt segment for fish: copy to ~/.config/fish/functions/fish_right_prompt.fish,
# or source it from ~/.config/fish/config.fish. Shows e.g. oci:my-session 42m.
function fish_right_prompt
    oci-token prompt 2>/dev/null
end
