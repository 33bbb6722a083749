/** The demo package set's folder (`pkgs/`, a nixpkgs-shaped set that builds offline). */
export declare const bundledPackageSetPath: string;
/** Popularity counted over the whole demo set (`nixery popularity --all`), as a file URL. */
export declare const bundledPopularityUrl: string;
