using Sam3Serve.Engine.Fixture;
using Sam3Serve.Tests.Common;
using Xunit;

namespace Sam3Serve.Engine.Tests.Support;

/// <summary>Writes the fixture bundle to a temp folder and initialises one engine over it, shared by a test class.</summary>
public sealed class FixtureEngineHost : IAsyncLifetime
{
    private readonly TempDir _dir = new("sam3-engine-fixture");

    public Sam3Engine Engine { get; private set; } = null!;

    public string ModelDir => _dir.Path;

    public async ValueTask InitializeAsync()
    {
        FixtureBundle.Write(_dir.Path);
        Engine = new Sam3Engine(new EngineOptions { ModelDir = _dir.Path });
        await Engine.InitializeAsync(TestContext.Current.CancellationToken);
    }

    public ValueTask DisposeAsync()
    {
        Engine.Dispose();
        _dir.Dispose();
        return ValueTask.CompletedTask;
    }
}
