namespace Sam3Serve.Client.Tests;

/// <summary>Client-side checks of a request: obvious mistakes throw at once, naming the wire field; ranges are the server's.</summary>
public sealed class RequestValidationTests
{
    private static Sam3Request Request() => Sam3Request.FromUrl("https://example.com/a.jpg");

    [Fact]
    public void WithTextPrompt_Blank_ThrowsNamingTextPrompt() =>
        Assert.Throws<ArgumentException>("text_prompt", () => Request().WithTextPrompt("   "));

    [Fact]
    public void WithTextPrompts_EmptyListOrBlankEntry_ThrowsNamingTextPrompts()
    {
        Assert.Throws<ArgumentException>("text_prompts", () => Request().WithTextPrompts());
        Assert.Throws<ArgumentException>("text_prompts", () => Request().WithTextPrompts("dog", ""));
    }

    [Fact]
    public void WithPoints_EmptyOrNotFinite_ThrowsNamingPointsInput()
    {
        Assert.Throws<ArgumentException>("points_input", () => Request().WithPoints());
        Assert.Throws<ArgumentException>("points_input", () => Request().WithPoint(double.NaN, 3));
    }

    [Fact]
    public void WithPoints_UndefinedLabel_ThrowsNamingPointLabels() =>
        Assert.Throws<ArgumentException>("point_labels_input", () => Request().WithPoints(new Sam3Point(1, 2, (Sam3PointLabel)7)));

    [Fact]
    public void WithBoxes_EmptyOrInfinite_ThrowsNamingBoxesInput()
    {
        Assert.Throws<ArgumentException>("boxes_input", () => Request().WithBoxes());
        Assert.Throws<ArgumentException>("boxes_input", () => Request().WithBox(0, 0, double.PositiveInfinity, 4));
    }

    [Fact]
    public void Numbers_NotFinite_ThrowNamingTheField()
    {
        Assert.Throws<ArgumentException>("threshold", () => Request().WithThreshold(double.NaN));
        Assert.Throws<ArgumentException>("pred_iou_thresh", () => Request().WithPredIouThresh(double.NegativeInfinity));
    }

    [Fact]
    public void Enums_Undefined_ThrowNamingTheField()
    {
        Assert.Throws<ArgumentOutOfRangeException>("mask_format", () => Request().WithMasks((Sam3MaskFormat)42));
        Assert.Throws<ArgumentOutOfRangeException>("box_mode", () => Request().WithBoxMode((Sam3BoxMode)42));
    }

    [Fact]
    public void Image_BadSources_ThrowNamingImage()
    {
        Assert.Throws<ArgumentException>("image", () => Sam3Request.FromUrl("ftp://example.com/a.jpg"));
        Assert.Throws<ArgumentException>("image", () => Sam3Request.FromUrl("not a url"));
        Assert.Throws<ArgumentException>("image", () => Sam3Request.FromBytes([]));
        Assert.Throws<FileNotFoundException>(() => Sam3Request.FromFile(Path.Combine(Path.GetTempPath(), $"missing-{Guid.NewGuid():n}.jpg")));
    }

    [Fact]
    public void OutOfRangeValues_AreLeftToTheServer()
    {
        var request = Request().WithThreshold(5).WithMaxMasks(-3).WithPointsPerSide(1000).WithBox(10, 10, 5, 5);

        Assert.Equal(5, request.Threshold);
        Assert.Equal(-3, request.MaxMasks);
        Assert.Equal(1000, request.PointsPerSide);
        Assert.Equal(new Sam3Box(10, 10, 5, 5), Assert.Single(request.Boxes!));
    }

    [Fact]
    public void WithPoint_Repeated_AppendsInOrder()
    {
        var request = Request().WithPoint(1, 2).WithPoint(3, 4, Sam3PointLabel.Background);

        Assert.Equal([new Sam3Point(1, 2), new Sam3Point(3, 4, Sam3PointLabel.Background)], request.Points);
    }
}
