using Xunit;

namespace Sam3Serve.Reference.Tests;

/// <summary>
/// Every case of ../shared/reference within its bounds (README there), through the engine and over HTTP. The
/// per-case table goes to the test output; the README carries it.
/// </summary>
public sealed class ReferenceParityTests(ReferenceService service)
{
    [Fact]
    public Task Engine_EveryCase_MatchesTheReference() => CheckEveryCaseAsync("engine", service.SegmentWithEngineAsync);

    [Fact]
    public Task Http_EveryCase_MatchesTheReference() => CheckEveryCaseAsync("POST /v1 (JSON, RLE masks)", service.SegmentOverHttpAsync);

    private static async Task CheckEveryCaseAsync(string route, Func<ReferenceCase, Task<List<ActualObject>>> segment)
    {
        var set = ReferenceSet.Instance;
        var results = new List<ParityResult>();
        foreach (var c in set.Cases)
        {
            results.Add(ParityResult.Compare(c, await segment(c), set.Bounds));
        }
        Report(route, results);
    }

    private static void Report(string route, List<ParityResult> results)
    {
        var table = ParityResult.Table(results);
        TestContext.Current.SendDiagnosticMessage($"Reference parity, {route}:\n{table}");
        TestContext.Current.TestOutputHelper?.WriteLine($"Reference parity, {route}:\n{table}");
        var failed = results.Where(r => !r.Passed).Select(r => r.CaseId).ToList();
        Assert.True(failed.Count == 0, $"{failed.Count} of {results.Count} cases outside the reference bounds ({string.Join(", ", failed)}):\n{table}");
    }
}
