using Microsoft.ML.OnnxRuntime;
using Sam3Serve.Engine.Caching;
using Xunit;

namespace Sam3Serve.Engine.Tests.Caching;

public sealed class ByteLruCacheTests
{
    private static FeatureSet Set(int floats) =>
        new(new Dictionary<string, OrtValue> { ["x"] = OrtValue.CreateTensorValueFromMemory(new float[floats], [floats]) });

    [Fact]
    public void Add_OverCapacity_EvictsTheLeastRecentlyUsed()
    {
        using var cache = new ByteLruCache<string>(250 * 4);
        var a = Set(100);
        var b = Set(100);
        var c = Set(100);
        cache.Add("a", a);
        cache.Add("b", b);
        Assert.True(cache.TryGet("a", out var hit)); // a is now the most recent
        hit!.Release();

        cache.Add("c", c);

        Assert.True(cache.TryGet("a", out var stillA));
        stillA!.Release();
        Assert.False(cache.TryGet("b", out _));
        Assert.True(cache.TryGet("c", out var stillC));
        stillC!.Release();
        Assert.Equal(2, cache.Count);
        Assert.Equal(200 * 4, cache.Bytes);
        foreach (var s in new[] { a, b, c })
        {
            s.Release();
        }
    }

    [Fact]
    public void Eviction_WhileARequestHoldsTheSet_KeepsValuesAliveUntilReleased()
    {
        using var cache = new ByteLruCache<string>(100 * 4);
        var a = Set(100);
        cache.Add("a", a);
        a.Release(); // creator done; only the cache holds it
        Assert.True(cache.TryGet("a", out var held));

        cache.Add("b", Set(100)); // evicts a

        Assert.False(cache.TryGet("a", out _));
        Assert.Equal(100, held!["x"].GetTensorDataAsSpan<float>().Length); // still readable
        held.Release();
        Assert.False(held.TryAcquire()); // now disposed
    }

    [Fact]
    public void Add_LargerThanCapacity_IsNotCached()
    {
        using var cache = new ByteLruCache<string>(10);
        var big = Set(100);

        Assert.False(cache.Add("big", big));
        Assert.Equal(0, cache.Count);
        Assert.True(big.TryAcquire()); // the caller's reference is untouched
        big.Release();
        big.Release();
    }
}
