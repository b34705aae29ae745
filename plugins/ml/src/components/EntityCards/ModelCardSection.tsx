import { ReactNode } from 'react';
import { InfoCard, Link, MarkdownContent } from '@backstage/core-components';
import { useEntity } from '@backstage/plugin-catalog-react';
import { getModelCardInfo, ModelCardInfo } from '@mlplatform/plugin-ml-common';
import Box from '@material-ui/core/Box';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import Typography from '@material-ui/core/Typography';
import { MissingFields, WrongKindPanel } from './common';

const EXAMPLE_YAML = `spec:
  intendedUse: What it is for and who should use it.
  limitations: Known limitations and out-of-scope uses.
  license: apache-2.0
  metrics: { auc: 0.97 }
  modelCard: https://example.com/model-card`;

function Section(props: { title: string; children: ReactNode }) {
  return (
    <Box mb={2}>
      <Typography variant="subtitle2" component="h3" gutterBottom>
        {props.title}
      </Typography>
      {props.children}
    </Box>
  );
}

function MetricsTable(props: { metrics: Record<string, number> }) {
  return (
    <Table size="small" aria-label="Metrics">
      <TableHead>
        <TableRow>
          <TableCell>Metric</TableCell>
          <TableCell align="right">Value</TableCell>
        </TableRow>
      </TableHead>
      <TableBody>
        {Object.entries(props.metrics).map(([name, value]) => (
          <TableRow key={name}>
            <TableCell>{name}</TableCell>
            <TableCell align="right">{value}</TableCell>
          </TableRow>
        ))}
      </TableBody>
    </Table>
  );
}

function License(props: { info: ModelCardInfo }) {
  const { license, licenseUrl } = props.info;
  if (licenseUrl) return <Link to={licenseUrl}>{license ?? licenseUrl}</Link>;
  return <Typography variant="body2">{license}</Typography>;
}

function fullCardLink(info: ModelCardInfo) {
  if (info.modelCard?.startsWith('techdocs:')) {
    // Relative to the entity page, where TechDocs is mounted as the "docs" tab.
    return `docs/${info.modelCard
      .slice('techdocs:'.length)
      .replace(/^\//, '')}`;
  }
  if (info.modelCard) return info.modelCard;
  return info.hasTechDocs ? 'docs' : undefined;
}

/**
 * The model card of a Model: intended use, limitations, license, evaluation
 * metrics and a link to the full card. For Red Hat Developer Hub model-like
 * entities, shows what they carry (license link, TechDocs).
 *
 * @public
 */
export function ModelCardSection() {
  const { entity } = useEntity();
  const info = getModelCardInfo(entity);
  if (!info) {
    return (
      <InfoCard title="Model card">
        <WrongKindPanel expected="Model" />
      </InfoCard>
    );
  }
  const metrics =
    info.metrics && Object.keys(info.metrics).length > 0
      ? info.metrics
      : undefined;
  const link = fullCardLink(info);
  const hasLicense = Boolean(info.license || info.licenseUrl);
  if (!info.intendedUse && !info.limitations && !hasLicense && !metrics) {
    return (
      <InfoCard title="Model card">
        {link && <Link to={link}>Full model card</Link>}
        <MissingFields title="No model card fields yet" yaml={EXAMPLE_YAML} />
      </InfoCard>
    );
  }
  return (
    <InfoCard
      title="Model card"
      deepLink={link ? { title: 'Full model card', link } : undefined}
    >
      {info.intendedUse && (
        <Section title="Intended use">
          <MarkdownContent content={info.intendedUse} />
        </Section>
      )}
      {info.limitations && (
        <Section title="Limitations">
          <MarkdownContent content={info.limitations} />
        </Section>
      )}
      {hasLicense && (
        <Section title="License">
          <License info={info} />
        </Section>
      )}
      {metrics && (
        <Section title="Metrics">
          <MetricsTable metrics={metrics} />
        </Section>
      )}
    </InfoCard>
  );
}
