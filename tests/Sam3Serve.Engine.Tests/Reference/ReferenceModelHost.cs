using Xunit;

namespace Sam3Serve.Engine.Tests.Reference;

/// <summary>An engine over the real bundle named by SAM3_MODEL_DIR, or nothing when the variable is unset.</summary>
public sealed class ReferenceModelHost : IAsyncLifetime
{
    public const string Variable = "SAM3_MODEL_DIR";

    public Sam3Engine? Engine { get; private set; }

    public string? ModelDir { get; } = Environment.GetEnvironmentVariable(Variable);

    /// <summary>The engine, or a run-time skip naming the variable.</summary>
    public Sam3Engine Require()
    {
        if (Engine is null)
        {
            Assert.Skip($"{Variable} not set: point it at a real SAM 3 bundle (fp32 files) to run the published reference checks");
        }
        return Engine;
    }

    public async ValueTask InitializeAsync()
    {
        if (string.IsNullOrEmpty(ModelDir))
        {
            return;
        }
        Engine = new Sam3Engine(new EngineOptions
        {
            ModelDir = ModelDir,
            Variant = Environment.GetEnvironmentVariable("SAM3_VARIANT"),
            ExecutionProvider = Environment.GetEnvironmentVariable("SAM3_EXECUTION_PROVIDER") ?? "cpu",
            WarmUp = false,
        });
        await Engine.InitializeAsync(TestContext.Current.CancellationToken);
    }

    public ValueTask DisposeAsync()
    {
        Engine?.Dispose();
        return ValueTask.CompletedTask;
    }
}
