/**
 * rpmfetch: download `.rpm` and `.src.rpm` files from an ordered list of mirrors and return only
 * packages proven whole and genuine.
 *
 * @packageDocumentation
 */
export { createVerifier, RpmVerifier, type VerifyOptions } from './rpm/verifier.js';
export { verifyFile } from './rpm/verify-file.js';
export type { Check, CheckStatus, Verdict, VerdictError } from './rpm/verdict.js';
export type { Expectations } from './rpm/expectations.js';
export type { PackageIdentity, Nevra } from './rpm/nevra.js';
export { formatNevra, parseNevra } from './rpm/nevra.js';
export type { SignatureInfo } from './rpm/signatures.js';
export type { SignatureStatus } from './rpm/signature-check.js';
export { Keyring } from './rpm/keyring.js';
export type { OffloadMode } from './rpm/stream-hasher.js';
export type { DigestLevel } from './rpm/digest-level.js';
export {
  createDownloader,
  download,
  downloadAll,
  resolvePackages,
  type BatchItem,
  type BatchResult,
  type CallOptions,
  type Downloader,
} from './client/downloader.js';
export type { BatchOptions, DownloaderOptions, DownloadOptions, TlsOptions } from './client/options.js';
export type { ProxyOption } from './transport/proxy.js';
export type { DownloadResult } from './client/result.js';
export type { Placement } from './cache/placement.js';
// Package store housekeeping (issue 12).
export { openCache, type PackageCache, type OpenCacheOptions } from './cache/open-cache.js';
export type { StoreEntry } from './cache/entries.js';
export type { StoreVerifyOptions, StoreVerifyReport, VerifiedEntry } from './cache/verify-store.js';
export type { PruneReport } from './cache/prune.js';
export type { ClearReport } from './cache/clear.js';
export type { MirrorSnapshot } from './fetch/mirror.js';
export type { Target } from './fetch/target.js';
export type { DownloadTimeouts } from './fetch/timeouts.js';
export type { BackoffOptions } from './fetch/backoff.js';
export type {
  DownloadEvent,
  QueuedEvent,
  StartedEvent,
  ProgressEvent,
  RetryEvent,
  DoneEvent,
  FailedEvent,
  BatchEvent,
  MetadataEvent,
  MirrorDroppedEvent,
} from './client/events.js';
export type { Resolution, ResolveItem, ResolveOptions, RepoPackage } from './repo/resolve.js';
export type { RepoBaseOptions } from './client/repo-options.js';
export { openRepos, RepoSet, type OpenRepo, type RepoSetItem, type RepoSetOptions, type RepoSetResolution, type RepoTarget, type SkippedRepo } from './client/repo-set.js';
export type { PrimaryEntry } from './repo/primary-parser.js';
export { parseMetalink, type DroppedUrl, type Metalink, type MetalinkMirror, type RepomdVersion, type MetalinkHashType } from './repo/metalink.js';
export { parseMirrorlist, type Mirrorlist } from './repo/mirrorlist.js';
export { rpmArch } from './repo/arch.js';
export { kojiBuildPath, kojiRepoPath, kojiRpmFileName, kojiRpmPath, kojiTarget, kojiTaskPath, type KojiPathOptions, type KojiRpmInfo } from './repo/koji.js';
export { rpmvercmp, compareEvr, type Evr } from './rpm/vercmp.js';
export {
  parseRepoFile,
  loadRepoFiles,
  repoSource,
  selectRepos,
  type RepoConfig,
  type RepoSource,
  type ParseRepoFileOptions,
  type LoadRepoFilesOptions,
} from './repo/repo-file.js';
export {
  substituteVars,
  expandUrl,
  loadRepoVars,
  mergeRepoVars,
  readVarsDirs,
  varsFromEnv,
  parseSetvar,
  baseArch,
  detectArch,
  type RepoVars,
  type RepoVarSources,
  type LoadRepoVarsOptions,
  type Substitution,
  type VarContext,
} from './repo/repo-vars.js';
export {
  chooseAcrossRepos,
  compareCandidates,
  matchesPackageSpec,
  repoOffers,
  type ChoicePackage,
  type RepoRank,
  type RepoCandidate,
  type RepoChoice,
  type ChoiceRule,
  type ChoiceOptions,
  type PackageFilters,
} from './repo/repo-choice.js';
export {
  RpmfetchError,
  DownloadError,
  type ExistingFile,
  type Attempt,
  type AttemptPhase,
  VerifyError,
  InvalidOptionError,
  FileReadError,
  RepoError,
  MetalinkError,
  MirrorlistError,
  RepoFileError,
  NotCachedError,
  RepoVariableError,
  type ErrorCode,
} from './errors.js';
