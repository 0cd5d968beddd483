namespace StrideCampus.AiChat.ConsoleDemo;

/// <summary>
/// How the demo runs, and why: the live two-tab screen needs a terminal on standard output, and typing
/// messages afterwards needs one on standard input too. A run that cannot do either says so.
/// </summary>
/// <param name="Live">Whether the screen is redrawn live (else the script is narrated line by line).</param>
/// <param name="Interactive">Whether you can type messages after the script.</param>
/// <param name="SkippedBecause">Why interactive mode is skipped, or null when it is not.</param>
internal sealed record DemoMode(bool Live, bool Interactive, string? SkippedBecause)
{
    public static DemoMode Decide(bool once, bool askedInteractive, bool inputRedirected, bool outputRedirected, bool terminalInteractive)
    {
        string? noScreen = outputRedirected ? "standard output is redirected"
            : !terminalInteractive ? "the terminal is not interactive (a CI environment, or TERM=dumb)"
            : null;
        var live = noScreen is null;
        string? skipped = once ? "--once was given"
            : noScreen is not null ? noScreen
            : inputRedirected && !askedInteractive ? "standard input is redirected (pass --interactive to type anyway)"
            : null;
        return new DemoMode(live, skipped is null, skipped);
    }

    /// <summary>The line that says what happened, for a run that skips interactive mode.</summary>
    public string? Notice => SkippedBecause is null ? null : $"Interactive mode skipped: {SkippedBecause}.";
}
