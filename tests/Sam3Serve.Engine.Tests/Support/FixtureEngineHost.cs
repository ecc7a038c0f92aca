using Sam3Serve.Engine.Bundle;
using Sam3Serve.Fixture;
using Sam3Serve.Tests.Common;
using Xunit;

namespace Sam3Serve.Engine.Tests.Support;

/// <summary>Writes the fixture bundle to a temp folder and initialises one engine over it, shared by a test class.</summary>
public class FixtureEngineHost : IAsyncLifetime
{
    private readonly TempDir _dir = new("sam3-engine-fixture");
    private readonly ConceptLayout _layout;

    public FixtureEngineHost()
        : this(ConceptLayout.V2)
    {
    }

    protected FixtureEngineHost(ConceptLayout layout) => _layout = layout;

    public Sam3Engine Engine { get; private set; } = null!;

    public string ModelDir => _dir.Path;

    public virtual async ValueTask InitializeAsync()
    {
        FixtureBundle.Write(_dir.Path, _layout);
        Engine = new Sam3Engine(new EngineOptions { ModelDir = _dir.Path });
        await Engine.InitializeAsync(TestContext.Current.CancellationToken);
    }

    public virtual ValueTask DisposeAsync()
    {
        Engine.Dispose();
        _dir.Dispose();
        return ValueTask.CompletedTask;
    }
}

/// <summary>The same over the v1 (4-file) concept layout.</summary>
public sealed class FixtureV1EngineHost : FixtureEngineHost
{
    public FixtureV1EngineHost()
        : base(ConceptLayout.V1)
    {
    }
}
