//! Command-line names of library enums: the library types carry no clap derive, so each has a
//! twin here that clap parses and that converts into it.

use pxby_data::dataset::Split;
use pxby_tools::pixelate::Downsample;

/// `--split`: which items of a dataset ([`Split`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum SplitArg {
    /// `id % 10 != 0`.
    Train,
    /// `id % 10 == 0`.
    Val,
    /// Every item.
    All,
}

impl From<SplitArg> for Split {
    fn from(a: SplitArg) -> Split {
        match a {
            SplitArg::Train => Split::Train,
            SplitArg::Val => Split::Val,
            SplitArg::All => Split::All,
        }
    }
}

/// `--mode`: how sprites are reduced to the grid ([`Downsample`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum DownsampleArg {
    /// The reference: bicubic 2x intermediate, k-means (K = 55) in CIELAB, nearest neighbour.
    #[value(name = "kmeans")]
    KMeans,
    /// Most frequent nearest-palette colour of the source pixels each output cell covers.
    Majority,
}

impl From<DownsampleArg> for Downsample {
    fn from(a: DownsampleArg) -> Downsample {
        match a {
            DownsampleArg::KMeans => Downsample::KMeans,
            DownsampleArg::Majority => Downsample::Majority,
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::ValueEnum;

    use super::*;

    fn names<T: ValueEnum>() -> Vec<String> {
        T::value_variants()
            .iter()
            .filter_map(clap::ValueEnum::to_possible_value)
            .map(|p| p.get_name().to_owned())
            .collect()
    }

    #[test]
    fn command_line_names_are_unchanged() {
        assert_eq!(names::<SplitArg>(), ["train", "val", "all"]);
        assert_eq!(names::<DownsampleArg>(), ["kmeans", "majority"]);
        assert_eq!(Split::from(SplitArg::Train), Split::Train);
        assert_eq!(Split::from(SplitArg::Val), Split::Val);
        assert_eq!(Split::from(SplitArg::All), Split::All);
        assert_eq!(Downsample::from(DownsampleArg::KMeans), Downsample::KMeans);
        assert_eq!(
            Downsample::from(DownsampleArg::Majority),
            Downsample::Majority
        );
    }
}
