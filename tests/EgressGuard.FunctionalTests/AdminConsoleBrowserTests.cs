using System.Text.Json;
using EgressGuard.FunctionalTests.Infrastructure;

namespace EgressGuard.FunctionalTests;

/// <summary>
/// The admin console in real headless Chromium (tests/console/console.mjs, playwright-core pointed
/// at /usr/bin/chromium): each fact is one case of the run, plus what the API says afterwards.
/// </summary>
public sealed class AdminConsoleBrowserTests : IClassFixture<AdminConsoleBrowserRun>
{
    private readonly AdminConsoleBrowserRun _run;

    public AdminConsoleBrowserTests(AdminConsoleBrowserRun run) => _run = run;

    [ConsoleBrowserFact]
    public void SignIn_WrongToken_ShowsErrorAndKeepsNothing() => _run.AssertCase("wrong-token-shows-error");

    [ConsoleBrowserFact]
    public void SignIn_AdminToken_ShowsRulesWithBuiltins() => _run.AssertCase("sign-in-shows-rules");

    [ConsoleBrowserFact]
    public async Task RuleForm_Submitted_RuleInApi()
    {
        _run.AssertCase("add-rule-through-form");
        using var admin = _run.Proxy.CreateAdminClient();
        var rule = JsonDocument.Parse(await admin.GetStringAsync("/rules/console-added")).RootElement;
        Assert.Equal("deny", rule.GetProperty("action").GetString());
        Assert.Equal(["added.test", "*.added.test"], rule.GetProperty("destinations").EnumerateArray().Select(x => x.GetString()));
        Assert.Equal("CON-1", rule.GetProperty("ticket").GetString());
    }

    [ConsoleBrowserFact]
    public void RuleForm_Edit_SavedKeepingOtherFields() => _run.AssertCase("edit-rule-keeps-fields");

    [ConsoleBrowserFact]
    public void RuleForm_InvalidPort_ApiErrorNextToField() => _run.AssertCase("api-validation-error-next-to-field");

    [ConsoleBrowserFact]
    public void RuleForm_KeyboardOnly_RuleCreated() => _run.AssertCase("keyboard-only-rule-form");

    [ConsoleBrowserFact]
    public void RuleForm_Methods_SavedAndValidated() => _run.AssertCase("rule-form-methods");

    [ConsoleBrowserFact]
    public void Rules_UpButton_Reordered() => _run.AssertCase("reorder-with-buttons");

    [ConsoleBrowserFact]
    public void Rules_DeleteConfirmed_Deleted_CancelKeeps() => _run.AssertCase("delete-with-confirmation");

    [ConsoleBrowserFact]
    public void History_DiffThenRollback_RuleBack() => _run.AssertCase("history-diff-and-rollback");

    [ConsoleBrowserFact]
    public void Explain_DeniedHost_DecisionAndSteps() => _run.AssertCase("explain");

    [ConsoleBrowserFact]
    public void Live_DeniedRequest_ShownWithin2Seconds()
    {
        var result = _run.AssertCase("live-denied-within-2s");
        Assert.InRange(result.GetProperty("ms").GetInt32(), 0, 2000);
    }

    [ConsoleBrowserFact]
    public void Live_PausedAndFiltered_HoldsAndFilters() => _run.AssertCase("live-pause-and-filters");

    [ConsoleBrowserFact]
    public async Task Quarantine_ReleasedAndExtended_InApi()
    {
        _run.AssertCase("release-and-extend-quarantine");
        using var admin = _run.Proxy.CreateAdminClient();
        var active = JsonDocument.Parse(await admin.GetStringAsync("/quarantine")).RootElement.EnumerateArray().Select(q => q.GetProperty("address").GetString()).ToList();
        Assert.DoesNotContain(AdminConsoleBrowserRun.ReleasedSource, active);
        Assert.Contains(AdminConsoleBrowserRun.ExtendedSource, active);
    }

    [ConsoleBrowserFact]
    public void SourcePage_ShowsQuarantineAndDecisions() => _run.AssertCase("source-page");

    [ConsoleBrowserFact]
    public void Status_FeedsAndSvgCharts() => _run.AssertCase("feeds-status-and-charts");

    [ConsoleBrowserFact]
    public void Status_FeedReloadedWithMoreEntries_EntriesChartHasAPointPerLoad()
    {
        var result = _run.AssertCase("feed-entries-chart");
        Assert.Equal([1, 1, 2], result.GetProperty("points").EnumerateArray().Select(p => p.GetInt32()));
    }

    [ConsoleBrowserFact]
    public void SignOut_ClearsToken() => _run.AssertCase("sign-out-clears-token");

    [ConsoleBrowserFact]
    public void WholeRun_NoConsoleErrors() => _run.AssertCase("no-console-errors");

    [ConsoleBrowserFact]
    public void WholeRun_NoRequestToAnotherOrigin() => _run.AssertCase("no-request-to-another-origin");

    [ConsoleBrowserFact]
    public void WholeRun_EveryApiCallCarriesTheToken() => _run.AssertCase("every-api-call-carries-the-token");
}
