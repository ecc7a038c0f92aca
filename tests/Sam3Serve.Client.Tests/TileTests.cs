using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Sam3Serve.Client.Tests.Infrastructure;

namespace Sam3Serve.Client.Tests;

/// <summary>The tiles extension: typed on the request, written as the contract takes it, read back on each mask.</summary>
public sealed class TileTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private const string Output =
        """{"width":6000,"height":4000,"mode":"concept","preview":null,"overlay":null,"masks":[{"index":0,"score":0.9,"box":[1,2,3,4],"area":4,"prompt_index":0,"tile":[2,3]},{"index":1,"score":0.8,"box":[5,6,7,8],"area":4,"prompt_index":0,"tile":null}],"count":2}""";

    private static Task<LoopbackServer> StartAsync() => LoopbackServer.StartAsync(app =>
        app.MapPost("/v1/{model}", () => Results.Content(Output, "application/json")));

    [Theory]
    [InlineData("auto", "\"tiles\":\"auto\"")]
    [InlineData("off", "\"tiles\":\"off\"")]
    [InlineData("3x4", "\"tiles\":{\"rows\":3,\"cols\":4}")]
    public async Task RunSyncAsync_Tiles_AreWrittenAsTheContractTakesThem(string tiles, string expected)
    {
        await using var server = await StartAsync();
        using var client = new Sam3Client("k", server.BaseAddress);

        await client.RunSyncAsync(Sam3Request.FromBytes([1]).WithTextPrompt("car").WithTiles(Sam3Tiles.Parse(tiles), 0.25), Ct);

        var body = Assert.Single(server.Requests).Body;
        Assert.Contains(expected + ",\"tile_overlap\":0.25", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunSyncAsync_TiledOutput_GivesEachMaskItsTile()
    {
        await using var server = await StartAsync();
        using var client = new Sam3Client("k", server.BaseAddress);

        var answer = await client.RunSyncAsync(Sam3Request.FromBytes([1]).WithTextPrompt("car").WithTiles(Sam3Tiles.Auto).WithMasks(), Ct);

        Assert.Equal(new Sam3TilePosition(2, 3), answer.Output!.Masks[0].Tile);
        Assert.Null(answer.Output.Masks[1].Tile);
    }

    [Theory]
    [InlineData("0x3")]
    [InlineData("9x1")]
    [InlineData("sideways")]
    [InlineData("3 by 4")]
    public void Parse_Malformed_Throws(string text) =>
        Assert.ThrowsAny<Exception>(() => Sam3Tiles.Parse(text));

    [Theory]
    [InlineData(-0.1)]
    [InlineData(0.6)]
    [InlineData(double.NaN)]
    public void TileOverlap_OutOfRange_Throws(double overlap) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => Sam3Request.FromBytes([1]).TileOverlap = overlap);
}
