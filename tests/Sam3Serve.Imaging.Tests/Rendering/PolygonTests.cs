using System.Text.Json.Nodes;
using Sam3Serve.Contracts.Requests;
using Sam3Serve.Imaging.Rendering;
using Sam3Serve.Imaging.Tests.Support;
using Xunit;
using static Sam3Serve.Imaging.Tests.Rendering.RenderingFixtures;

namespace Sam3Serve.Imaging.Tests.Rendering;

public sealed class PolygonTests
{
    // Shape, connected components, and the area of components that sit inside another's hole (counted by
    // both their own ring and the outer ring, since rings describe outer boundaries only).
    public static TheoryData<string, int, int> Shapes => new()
    {
        { "rectangle", 1, 0 },
        { "l-shape", 1, 0 },
        { "ring", 1, 0 },
        { "two-rectangles", 2, 0 },
        { "diagonal-pixels", 1, 0 },
        { "disc", 1, 0 },
        { "island-in-ring", 2, 50 },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Render_PolygonMask_TracesEachComponentBoundary(string shape, int components, int nestedArea)
    {
        var mask = Shape(shape);

        var rendered = OutputRenderer.Render(Result(mask), Image(), Request(preview: false, masks: true, format: MaskFormat.Polygon));

        var rings = Rings(rendered.Output.Masks[0].Mask!);
        Assert.Equal(components, rings.Count);
        foreach (var ring in rings)
        {
            Assert.True(ring.Length >= 8 && ring.Length % 2 == 0, $"ring of {ring.Length} numbers");
            for (var i = 0; i < ring.Length; i += 2)
            {
                Assert.True(OnBoundary(mask, ring[i], ring[i + 1]), $"vertex ({ring[i]}, {ring[i + 1]}) is not on the {shape}'s boundary");
                var next = (i + 2) % ring.Length;
                // Consecutive vertices are joined by a horizontal or vertical pixel edge, and no three are collinear.
                Assert.True(ring[i] == ring[next] || ring[i + 1] == ring[next + 1]);
            }
        }

        var filled = Filled(mask);
        var filledArea = filled.Count(f => f) + nestedArea;
        var polygonArea = rings.Sum(Area);
        Assert.InRange(polygonArea, filledArea * 0.99, filledArea * 1.01);
        // Every pixel centre inside a polygon is a pixel of the hole-filled mask, and vice versa.
        for (var y = 0; y < Height; y++)
        {
            for (var x = 0; x < Width; x++)
            {
                var inPolygon = rings.Any(r => ContainsPoint(r, x + 0.5, y + 0.5));
                Assert.True(filled[(y * Width) + x] == inPolygon, $"pixel ({x}, {y}) in polygon: {inPolygon}");
            }
        }
    }

    [Fact]
    public void Render_PolygonOfRectangle_IsItsFourCorners()
    {
        var rendered = OutputRenderer.Render(Result(Rectangle(3, 4, 10, 20)), Image(), Request(preview: false, masks: true, format: MaskFormat.Polygon));

        var ring = Assert.Single(Rings(rendered.Output.Masks[0].Mask!));
        var corners = Enumerable.Range(0, 4).Select(i => (ring[2 * i], ring[(2 * i) + 1])).ToHashSet();
        Assert.Equal(new HashSet<(double, double)> { (3, 4), (10, 4), (10, 20), (3, 20) }, corners);
    }

    [Fact]
    public void Render_EmptyMask_GivesNoRings()
    {
        var rendered = OutputRenderer.Render(Result(Rectangle(0, 0, 0, 0)), Image(), Request(masks: true, format: MaskFormat.Polygon));

        Assert.Empty(Assert.IsType<JsonArray>(rendered.Output.Masks[0].Mask));
        Assert.Equal(0, rendered.Output.Masks[0].Area);
    }

    [Fact]
    public void Render_FullImageMask_IsTheImageFrame()
    {
        var rendered = OutputRenderer.Render(Result(Rectangle(0, 0, Width, Height)), Image(), Request(masks: true, format: MaskFormat.Polygon));

        var ring = Assert.Single(Rings(rendered.Output.Masks[0].Mask!));
        Assert.Equal(Width * Height, Area(ring));
    }

    private static PredicateMask Shape(string name) => name switch
    {
        "rectangle" => Rectangle(3, 4, 17, 30),
        "l-shape" => LShape(),
        "ring" => Ring(),
        "two-rectangles" => new PredicateMask(Width, Height, (x, y) => (x is >= 2 and < 10 && y is >= 2 and < 10) || (x is >= 20 and < 79 && y is >= 30 and < 50)),
        "diagonal-pixels" => new PredicateMask(Width, Height, (x, y) => (x, y) is (10, 10) or (11, 11) or (12, 12) or (12, 13)),
        "disc" => new PredicateMask(Width, Height, (x, y) => ((x - 40) * (x - 40)) + ((y - 25) * (y - 25)) <= 18 * 18),
        "island-in-ring" => new PredicateMask(Width, Height, (x, y) => Ring().Contains(x, y) || (x is >= 55 and < 60 && y is >= 20 and < 30)),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    private static List<double[]> Rings(JsonNode node) =>
        [.. Assert.IsType<JsonArray>(node).Select(r => Assert.IsType<JsonArray>(r).Select(v => double.Parse(v!.ToJsonString(), System.Globalization.CultureInfo.InvariantCulture)).ToArray())];

    /// <summary>A corner lies on the boundary when the four pixels around it are neither all inside nor all outside.</summary>
    private static bool OnBoundary(PredicateMask mask, double cx, double cy)
    {
        int x = (int)cx, y = (int)cy;
        var inside = new[] { (x - 1, y - 1), (x, y - 1), (x - 1, y), (x, y) }
            .Count(p => p.Item1 >= 0 && p.Item2 >= 0 && p.Item1 < Width && p.Item2 < Height && mask.Contains(p.Item1, p.Item2));
        return inside is > 0 and < 4;
    }

    private static double Area(double[] ring)
    {
        var twice = 0.0;
        for (var i = 0; i < ring.Length; i += 2)
        {
            var j = (i + 2) % ring.Length;
            twice += (ring[i] * ring[j + 1]) - (ring[j] * ring[i + 1]);
        }
        return Math.Abs(twice) / 2;
    }

    private static bool ContainsPoint(double[] ring, double px, double py)
    {
        var inside = false;
        for (int i = 0, j = ring.Length - 2; i < ring.Length; j = i, i += 2)
        {
            double xi = ring[i], yi = ring[i + 1], xj = ring[j], yj = ring[j + 1];
            if ((yi > py) != (yj > py) && px < ((xj - xi) * (py - yi) / (yj - yi)) + xi)
            {
                inside = !inside;
            }
        }
        return inside;
    }
}
