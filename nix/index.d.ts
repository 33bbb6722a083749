/** The demo package set's folder (`pkgs/`, a nixpkgs-shaped set that builds offline). */
export declare const bundledPackageSetPath: string;
/** Popularity counted over the whole demo set (`nixery popularity --all`), as a file URL. */
export declare const bundledPopularityUrl: string;
/** Small packages of the demo set; a storm of distinct cold pulls is made of pairs of them. */
export declare const smallDemoPackages: readonly string[];
/**
 * `count` distinct image names, each two small packages (`a/b`, sorted), in a fixed order. None
 * starts with `shell/`, so none is the image a workload keeps cached (`shell/hello`).
 */
export declare function smallDemoImages(count: number): string[];
