# oci-token prompt segment for PowerShell (Windows PowerShell 5.1 and PowerShell 7).
#
# Where to put it in your profile (notepad $PROFILE):
#   - Without oh-my-posh: at the END of $PROFILE, after anything else that sets the prompt
#     (posh-git, starship, ...), because it wraps the prompt that exists when it runs:
#         . C:\path\to\oci-token.ps1
#     It shows e.g. [oci:my-session 42m] before your prompt while the active profile
#     (OCI_CLI_PROFILE, else the oci_cli_rc default, else DEFAULT) has a session.
#   - With oh-my-posh: AFTER `oh-my-posh init ... | Invoke-Expression`, with -OhMyPosh:
#         . C:\path\to\oci-token.ps1 -OhMyPosh
#     It then leaves oh-my-posh's prompt alone and sets $env:OCI_TOKEN_SEGMENT before each
#     prompt (oh-my-posh's Set-PoshContext hook); the segment in
#     oh-my-posh-oci-token.json shows it. No extra shell is started for it.
#
# Both keep the last command's $? and $LASTEXITCODE, so a prompt that shows failures still
# shows them.

param([switch]$OhMyPosh)

if (-not (Get-Command oci-token -ErrorAction SilentlyContinue)) { return }

if ($OhMyPosh) {
    function global:Set-OciTokenPoshContext {
        $saved = $global:LASTEXITCODE
        $env:OCI_TOKEN_SEGMENT = & oci-token prompt --format '{profile} {remaining}' 2>$null
        $global:LASTEXITCODE = $saved
    }
    New-Alias -Name 'Set-PoshContext' -Value 'Set-OciTokenPoshContext' -Scope Global -Force
    return
}

if (-not (Test-Path Function:\__OciTokenOriginalPrompt)) {
    Copy-Item Function:\prompt Function:\global:__OciTokenOriginalPrompt
}

function global:prompt {
    # The first statement: any statement after it resets $?.
    $lastOk = $?
    $saved = $global:LASTEXITCODE
    $segment = & oci-token prompt 2>$null
    $global:LASTEXITCODE = $saved
    # Running oci-token set $? to $true; the wrapped prompt must see the user's command's.
    # Write-Error with -ErrorAction Ignore records nothing and leaves $? $false.
    if (-not $lastOk) { Write-Error '' -ErrorAction Ignore }
    $rest = __OciTokenOriginalPrompt
    if ($segment) { "[$segment] $rest" } else { $rest }
}

# Zero-exec variant: after `oci-token env | Invoke-Expression`, the remaining time comes
# from $env:OCI_TOKEN_EXPIRES_EPOCH without running anything. Use it in your own prompt:
# "[$(OciTokenSegmentFromEnv)] ..."
# .NET's "d2" format applies to integers only (a [double] throws a FormatException), so
# every number formatted here is an [int64].
function global:OciTokenSegmentFromEnv {
    if (-not $env:OCI_TOKEN_EXPIRES_EPOCH) { return "" }
    $profileName = if ($env:OCI_CLI_PROFILE) { $env:OCI_CLI_PROFILE } else { "DEFAULT" }
    $left = [int64]$env:OCI_TOKEN_EXPIRES_EPOCH - [DateTimeOffset]::UtcNow.ToUnixTimeSeconds()
    if ($left -le 0) { return "oci:$profileName expired" }
    $hours = [int64][math]::Floor($left / 3600)
    $minutes = [int64][math]::Floor(($left % 3600) / 60)
    if ($left -ge 3600) { return ("oci:{0} {1}h{2:d2}m" -f $profileName, $hours, $minutes) }
    if ($left -ge 60) { return ("oci:{0} {1}m" -f $profileName, [int64][math]::Floor($left / 60)) }
    return "oci:$profileName ${left}s"
}
