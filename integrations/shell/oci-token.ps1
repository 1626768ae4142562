# oci-token prompt segment for PowerShell (Windows PowerShell 5.1 and PowerShell 7).
# Dot-source it from your profile (notepad $PROFILE):
#   . C:\path\to\oci-token.ps1
# It shows e.g. [oci:my-session 42m] before your prompt while the active profile
# (OCI_CLI_PROFILE, else the oci_cli_rc default, else DEFAULT) has a session, and wraps
# whatever prompt you had. $LASTEXITCODE is kept, so the prompt never hides a failure.

if (-not (Get-Command oci-token -ErrorAction SilentlyContinue)) { return }

if (-not (Test-Path Function:\__OciTokenOriginalPrompt)) {
    Copy-Item Function:\prompt Function:\global:__OciTokenOriginalPrompt
}

function global:prompt {
    $saved = $global:LASTEXITCODE
    $segment = & oci-token prompt 2>$null
    $global:LASTEXITCODE = $saved
    $rest = __OciTokenOriginalPrompt
    if ($segment) { "[$segment] $rest" } else { $rest }
}

# Zero-exec variant: after `oci-token env --shell pwsh | Invoke-Expression`, the remaining
# time comes from $env:OCI_TOKEN_EXPIRES_EPOCH without running anything. Use it in your own
# prompt: "[$(OciTokenSegmentFromEnv)] ..."
function global:OciTokenSegmentFromEnv {
    if (-not $env:OCI_TOKEN_EXPIRES_EPOCH) { return "" }
    $profileName = if ($env:OCI_CLI_PROFILE) { $env:OCI_CLI_PROFILE } else { "DEFAULT" }
    $left = [int64]$env:OCI_TOKEN_EXPIRES_EPOCH - [DateTimeOffset]::UtcNow.ToUnixTimeSeconds()
    if ($left -le 0) { return "oci:$profileName expired" }
    if ($left -ge 3600) { return ("oci:{0} {1}h{2:d2}m" -f $profileName, [math]::Floor($left / 3600), [math]::Floor(($left % 3600) / 60)) }
    if ($left -ge 60) { return ("oci:{0} {1}m" -f $profileName, [math]::Floor($left / 60)) }
    return "oci:$profileName ${left}s"
}
